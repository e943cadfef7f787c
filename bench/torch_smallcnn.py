#!/usr/bin/python3
"""PyTorch anchor for `uboost train`: trains the network of a uboost arch.json on Fashion-MNIST with the
same recipe as package train (see train/config.go), so the two test accuracies can be compared.

The recipe, matched term by term:
  - images normalized with Fashion-MNIST's mean 0.2860 and std 0.3530; training augmentation: zero-pad 2
    pixels (the normalized value of a 0 pixel), random 28x28 crop, horizontal flip with probability 1/2;
  - He-normal (fan-in) weights, zero biases; a conv/dense has a bias only without batch norm;
    batch norm momentum 0.1 (PyTorch's convention; uboost's 0.9 is the same), eps 1e-5;
  - SGD, Nesterov momentum 0.9, weight decay on conv/dense weights only, gradient clipping by global
    norm, one-cycle schedule per step: linear warm-up from lr/25 to lr over the first `warmup` fraction
    of the steps, then cosine decay to 0;
  - batches of `batch` images drawn without replacement each epoch, last incomplete batch dropped;
    test accuracy on the 10k test images, with batch norm's running statistics.

Run with Debian's python3-torch (1.13): /usr/bin/python3 bench/torch_smallcnn.py --arch A.json --epochs 15
It prints one JSON line per epoch and a final JSON result (test_accuracy as a fraction).
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def load(data_dir):
    tr_x = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    tr_y = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    te_x = read_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"))
    te_y = read_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz"))

    def norm(x):
        return torch.from_numpy((x.astype(np.float32) / 255 - MEAN) / STD).unsqueeze(1)  # N,1,28,28

    return norm(tr_x), torch.from_numpy(tr_y.astype(np.int64)), norm(te_x), torch.from_numpy(te_y.astype(np.int64))


class Net(nn.Module):
    """Interprets an arch.json graph (NHWC there, NCHW here)."""

    def __init__(self, arch):
        super().__init__()
        self.arch = arch
        self.mods = nn.ModuleDict()
        shapes = {"input": arch["input"]["c"]}
        spatial = {"input": (arch["input"]["h"], arch["input"]["w"])}
        for nd in arch["nodes"]:
            op = nd["op"]
            cin = shapes[nd["inputs"][0]]
            h, w = spatial[nd["inputs"][0]]
            k, s, d = nd.get("kernel", 1) or 1, nd.get("stride", 1) or 1, nd.get("dilation", 1) or 1
            p = nd["padding"] if nd.get("padding") is not None else d * (k - 1) // 2
            bn = nd.get("bn", False)
            name = nd["name"]
            cout = cin
            if op in ("conv", "depthwise"):
                groups = cin if op == "depthwise" else 1
                cout = nd["channels"] if op == "conv" else cin
                m = nn.Conv2d(cin, cout, k, s, p, d, groups=groups, bias=not bn)
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
                self.mods[name] = m
                h, w = (h + 2 * p - d * (k - 1) - 1) // s + 1, (w + 2 * p - d * (k - 1) - 1) // s + 1
            elif op == "dense":
                cout = nd["channels"]
                m = nn.Linear(cin * h * w, cout, bias=not bn)
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
                self.mods[name] = m
                h, w = 1, 1
            elif op in ("maxpool", "avgpool"):
                if nd.get("global"):
                    h, w = 1, 1
                else:
                    h, w = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            if bn:
                self.mods[name + "_bn"] = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
            shapes[name], spatial[name] = cout, (h, w)

    def forward(self, x):
        out = {"input": x}
        for nd in self.arch["nodes"]:
            op, name = nd["op"], nd["name"]
            ins = [out[i] for i in nd["inputs"]]
            x = ins[0]
            k, s = nd.get("kernel", 1) or 1, nd.get("stride", 1) or 1
            d = nd.get("dilation", 1) or 1
            p = nd["padding"] if nd.get("padding") is not None else d * (k - 1) // 2
            if op in ("conv", "depthwise"):
                y = self.mods[name](x)
            elif op == "dense":
                y = self.mods[name](x.permute(0, 2, 3, 1).reshape(x.shape[0], -1))[:, :, None, None]
            elif op == "maxpool":
                y = F.max_pool2d(x, k, s, p)
            elif op == "avgpool":
                y = x.mean(dim=(2, 3), keepdim=True) if nd.get("global") else F.avg_pool2d(x, k, s, p, count_include_pad=False)
            elif op == "add":
                y = sum(ins[1:], ins[0])
            elif op == "mul":
                y = ins[0] * ins[1]
            elif op == "identity":
                y = x
            elif op == "zero":
                y = torch.zeros_like(x)
            else:
                raise ValueError("unknown op " + op)
            if nd.get("bn"):
                y = self.mods[name + "_bn"](y)
            act = nd.get("act", "")
            if act == "relu":
                y = F.relu(y)
            elif act == "relu6":
                y = F.relu6(y)
            elif act == "swish":
                y = y * torch.sigmoid(y)
            elif act == "sigmoid":
                y = torch.sigmoid(y)
            out[name] = y
        return out[self.arch["nodes"][-1]["name"]].flatten(1)


def augment(x, gen, pad=2):
    n = x.shape[0]
    bg = (0 - MEAN) / STD
    padded = F.pad(x, (pad, pad, pad, pad), value=bg)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    flip = torch.randint(0, 2, (n,), generator=gen).bool()
    h, w = x.shape[2], x.shape[3]
    out = torch.empty_like(x)
    for i in range(n):
        crop = padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
        out[i] = torch.flip(crop, dims=(2,)) if flip[i] else crop
    return out


def lr_at(step, total, peak, warmup):
    t = step / total
    if warmup > 0 and t < warmup:
        return peak * (1 / 25 + (1 - 1 / 25) * t / warmup)
    u = (t - warmup) / (1 - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * u))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True)
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-augment", action="store_true", help="train without crop and flip")
    ap.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    with open(a.arch) as f:
        arch = json.load(f)
    tr_x, tr_y, te_x, te_y = load(a.data_dir)
    dev = torch.device(a.device)
    net = Net(arch).to(dev)
    params = sum(p.numel() for p in net.parameters())
    decay = [p for p in net.parameters() if p.dim() >= 2]
    no_decay = [p for p in net.parameters() if p.dim() < 2]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": a.wd}, {"params": no_decay, "weight_decay": 0}],
                          lr=a.lr, momentum=a.momentum, nesterov=True)
    spe = tr_x.shape[0] // a.batch
    total = spe * a.epochs
    gen = torch.Generator().manual_seed(a.seed)
    step = 0
    t0 = time.time()
    for epoch in range(a.epochs):
        net.train()
        perm = torch.randperm(tr_x.shape[0], generator=gen)
        correct = seen = 0
        loss_sum = 0.0
        for b in range(spe):
            idx = perm[b * a.batch:(b + 1) * a.batch]
            x = (tr_x[idx] if a.no_augment else augment(tr_x[idx], gen)).to(dev)
            y = tr_y[idx].to(dev)
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total, a.lr, a.warmup)
            logits = net(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            if a.clip > 0:
                nn.utils.clip_grad_norm_(net.parameters(), a.clip)
            opt.step()
            step += 1
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        te = evaluate(net, te_x, te_y, dev)
        print(json.dumps({"epoch": epoch + 1, "step": step, "train_loss": loss_sum / seen,
                          "train_accuracy": correct / seen, "test_accuracy": te[0],
                          "elapsed_s": round(time.time() - t0, 1)}), flush=True)
    train_s = time.time() - t0
    top1, top5 = evaluate(net, te_x, te_y, dev)
    res = {"framework": "pytorch " + torch.__version__, "device": a.device, "threads": a.threads, "augment": not a.no_augment, "test_accuracy": top1, "top5": top5,
           "params": params, "epochs": a.epochs, "steps": step, "batch": a.batch, "train_seconds": round(train_s, 1),
           "images_per_second": round(step * a.batch / train_s, 1)}
    print(json.dumps(res), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)


def evaluate(net, x, y, dev):
    net.eval()
    top1 = top5 = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], 1000):
            logits = net(x[i:i + 1000].to(dev))
            t = y[i:i + 1000].to(dev)
            top1 += (logits.argmax(1) == t).sum().item()
            top5 += (logits.topk(5, dim=1).indices == t[:, None]).any(1).sum().item()
    return top1 / x.shape[0], top5 / x.shape[0]


if __name__ == "__main__":
    main()
