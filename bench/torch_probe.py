#!/usr/bin/python3
"""PyTorch anchor for `uboost bench step --model probe`: the same network, loss and optimizers.

stem conv3x3->C + BN + ReLU; mixed block (conv3x3, conv5x5, sep3x3 = dw3x3 + 1x1, dil3x3 d=2, each
+ BN + ReLU) weighted by Gumbel-softmax(alpha, tau=1) and masked by a soft channel count; max-pool
2x2; second mixed block; global average pool; dense 10; loss = CE + lambda * latency, the latency
from tile counts ceil(c/8) through U-Boost's smooth ceiling (eq. 7, as uboost's cost.PaperCeil).
Weights: SGD(lr 0.05, momentum 0.9, weight decay 3e-4); alpha and width logits: Adam(lr 3e-3).

Usage: torch_probe.py [--batch 64] [--threads N] [--steps S] [--channels 32] [--json]
Prints images_per_second, seconds_per_step (median of the timed steps, after one untimed step)
and peak_rss_mb (this process's peak resident memory), like the Go command.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

TAU, LAMBDA, TILE = 1.0, 0.1, 8
# Paper's generalized logistic staircase: sum_i [1 + exp(-B*clamp(x - i, -2, 2)) / C]^(-1/v).
PB, PC, PV, PSTEPS, PCLAMP = 20.0, 0.2, 0.5, 300, 2.0


def paper_ceil(x):
    z = torch.clamp(x - torch.arange(PSTEPS, dtype=torch.float32), -PCLAMP, PCLAMP)
    return torch.pow(1 + torch.exp(-PB * z) / PC, -1 / PV).sum()


def conv_bn_relu(cin, cout, k, dil=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=dil * (k // 2), dilation=dil, bias=False),
                         nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5), nn.ReLU())


def sep_conv(c, cout):
    return nn.Sequential(nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False),
                         nn.Conv2d(c, cout, 1, bias=False),
                         nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5), nn.ReLU())


class Mixed(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.ops = nn.ModuleList([conv_bn_relu(c, c, 3), conv_bn_relu(c, c, 5), sep_conv(c, c),
                                  conv_bn_relu(c, c, 3, dil=2)])
        self.alpha = nn.Parameter(torch.zeros(4))
        self.width_logit = nn.Parameter(torch.tensor(1.0))

    def forward(self, x, cin_soft):
        u = torch.rand(4)
        w = F.softmax((self.alpha - torch.log(-torch.log(u + 1e-10))) / TAU, dim=-1)
        y = sum(w[i] * op(x) for i, op in enumerate(self.ops))
        cout_soft = self.c * torch.sigmoid(self.width_logit)
        mask = torch.sigmoid(4.0 * (cout_soft - (torch.arange(self.c, dtype=torch.float32) + 0.5)))
        y = y * mask.view(1, -1, 1, 1)
        hw = x.shape[2] * x.shape[3] * 1e-5
        tin, tout = paper_ceil(cin_soft / TILE), paper_ceil(cout_soft / TILE)
        io = tin * tout
        lats = torch.stack([io * 9 * hw, io * 25 * hw, tin * 9 * hw * 2 + io * hw, io * 9 * hw * 1.3])
        return y, (w * lats).sum(), cout_soft


class Net(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.stem = conv_bn_relu(3, c, 3)
        self.b1, self.b2 = Mixed(c), Mixed(c)
        self.head = nn.Linear(c, 10)

    def forward(self, x):
        h = self.stem(x)
        h, l1, c1 = self.b1(h, torch.tensor(float(self.c)))
        h = F.max_pool2d(h, 2)
        h, l2, _ = self.b2(h, c1)
        return self.head(h.mean(dim=(2, 3))), l1 + l2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    net = Net(a.channels)
    arch = [p for n, p in net.named_parameters() if n.endswith("alpha") or n.endswith("width_logit")]
    weights = [p for n, p in net.named_parameters() if not (n.endswith("alpha") or n.endswith("width_logit"))]
    opt_w = torch.optim.SGD(weights, lr=0.05, momentum=0.9, weight_decay=3e-4)
    opt_a = torch.optim.Adam(arch, lr=3e-3)
    x = torch.randn(a.batch, 3, 32, 32)
    y = torch.randint(0, 10, (a.batch,))
    def step():
        opt_w.zero_grad(set_to_none=True)
        opt_a.zero_grad(set_to_none=True)
        logits, lat = net(x)
        loss = F.cross_entropy(logits, y) + LAMBDA * lat
        loss.backward()
        opt_w.step()
        opt_a.step()
        return loss.item()

    report("probe", a.batch, a.steps, time_steps(step, a.steps), a.json)


def time_steps(step, steps):
    """Runs step() steps + 1 times; the first (untimed) warms up. Returns the wall seconds of the
    timed steps, every step's loss, the first step's seconds and the CPU seconds per timed step."""
    times, losses, first, cpu0 = [], [], 0.0, 0.0
    for i in range(steps + 1):
        if i == 1:
            cpu0 = time.process_time()
        t0 = time.perf_counter()
        losses.append(step())
        dt = time.perf_counter() - t0
        if i == 0:
            first = dt
        else:
            times.append(dt)
    return times, losses, first, (time.process_time() - cpu0) / steps


def report(model, batch, steps, timed, as_json):
    """Prints the fields of `uboost bench step` (median step time), as JSON or as lines."""
    times, losses, first, cpu = timed
    med = statistics.median(times)
    res = {"model": model, "backend": "pytorch " + torch.__version__, "batch": batch,
           "threads": torch.get_num_threads(), "steps": steps, "images_per_second": batch / med,
           "seconds_per_step": med, "first_step_seconds": first, "step_seconds": times,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "cpu_seconds_per_step": cpu, "losses": losses}
    if as_json:
        print(json.dumps(res))
    else:
        print(f"model {model}, batch {batch}, {res['threads']} threads, backend {res['backend']}")
        print(f"images_per_second {res['images_per_second']:.1f}\nseconds_per_step {med:.4f}\n"
              f"peak_rss_mb {res['peak_rss_mb']:.0f}\ncpu_seconds_per_step {cpu:.4f}\n"
              f"first_step_seconds {first:.3f}")

if __name__ == "__main__":
    main()
