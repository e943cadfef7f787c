#!/usr/bin/python3
"""PyTorch twin of `uboost bench step --model supernet --preset edge --stage micro`: the same network and weight-phase step.

What the Go command times is search.NewStepper(cfg, "micro", "weights", 28x28x1, 10 classes) then
Stepper.Step (search/stepper.go), i.e. supernet.stepGraph (search/run.go) on the supernet of
supernet.forward (search/supernet.go, search/cell.go) with layers from nn.Apply (nn/nn.go):

  stem: conv3x3 -> StemChannels + BN + ReLU, max-pool 2x2
  cell i (inputs xp = previous cell's output, xpp = the one before; both = stem for cell 1):
    pre-convs: conv3x3 -> Width + BN + ReLU on xp and on xpp, stride 1 pad 1, or stride 2 with pad 1 or 0
               where xpp is larger (preGeometry);
    t1 = e(xp) + e(xpp); t2 = e(t1) + e(xp) + e(xpp); t3 = e(t2) + e(t1) + e(xp) + e(xpp)   (Edges)
    every edge e(x) = sum_o w_o * op_o(x) over search.AllOps (mixedEdge): conv3x3, conv5x5, sep3x3,
    sep5x5 (depthwise kxk + BN + ReLU, then 1x1 + BN + ReLU), dil3x3, dil5x5 (dilation 2, padding
    dilation*(k-1)/2), identity, zero (skipped: it adds nothing); every conv bias-free, then an affine
    BN and ReLU (opNodes); w = softmax((alpha + G)/tau) over the ops (soft, not hard), tau = cfg.Tau = 1,
    alpha [9 edges x 8 ops] shared by all cells (SharedAlphas) with Gumbel noise G drawn per cell
    (SharedGumbel false), -log(-log(u + 1e-10) + 1e-10) (gumbelNoise);
    output t3, max-pool 2x2 (every cell of edge is pooled: 28 -> 14 stem -> 7 -> 3 -> 1);
  classifier: dense on the flattened map -> 10, with bias (nn.dense).
  Loss: mean softmax cross-entropy. Update (weight phase, sgdUpdate): gradients of the /model
  variables only (conv kernels, BN scale/offset, classifier), global-norm clip to GradClip 0.5
  (scale min(1, 0.5/(norm + 1e-6))), then SGD lr 0.05, momentum 0.9, weight decay 3e-4 (PyTorch's
  rule); alpha is not updated and gets no gradient. Init: He-normal kernels (fan-in), BN 1/0, bias 0,
  alpha ~ N(0, AlphaInitStd^2). Data: one fixed batch, pixel i of the NHWC buffer = (i % 97)/97,
  label i % 10 (NewStepper).

Where the twin differs from the Go step (none changes the weight update's math, except where said):
  - Loss: the Go loss is CE + lambda*latency - beta*utilization (edge: systolic cost, lambda = beta = 1).
    In the micro stage every layer's width is fixed, so those terms are the Gumbel weights times
    constants from the cost model (hwCost.exact): they depend on alpha only, give the weights no
    gradient (nor change the clip's norm), and cost the Go step some thousands of scalar graph ops
    (no tensor work). The twin leaves them out, so its reported losses are CE alone.
  - Layout: NCHW (PyTorch's native) where the engine runs NHWC; hence the dense layer flattens C,H,W
    rather than H,W,C (the same layer at the final 1x1 map of 28x28 inputs).
  - BN running statistics (not used by the training forward): GoMLX weighs the old average by
    min(0.9, 1 - 1/n) and keeps the biased batch variance; PyTorch uses 0.9 and the unbiased one.
  - Random draws (kernels, alpha, Gumbel noise) are the same distributions from another generator.
  - first_step_seconds is the untimed first step (as torch_probe.py); the Go command's also holds
    the graph's build and compilation.

Usage: torch_supernet.py [--preset edge] [--input 28x28x1] [--batch B] [--threads N] [--steps S]
                         [--seed 1] [--json] [--describe]
--batch defaults to the preset's batch size (edge: 32). Prints images_per_second, seconds_per_step
(median of the timed steps, after one untimed step), peak_rss_mb and cpu_seconds_per_step, with the
fields of torch_probe.py; --describe prints the layers and parameter counts instead.
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_probe import report, time_steps  # the same timing and output as the probe's twin

# search.Preset (search/config.go), the fields the micro-stage supernet uses; every preset has StemPool.
PRESETS = {
    "demo": dict(stem=32, width=32, pool=[True, True], batch=32, alpha_std=1e-3),
    "edge": dict(stem=32, width=32, pool=[True, True, True], batch=32, alpha_std=1e-3),
    "cifar10": dict(stem=128, width=128, pool=[True, True, True], batch=64, alpha_std=1.0),
    "imagenet100": dict(stem=128, width=128, pool=[True, False, False] * 3, batch=64, alpha_std=1.0),
}
OPS = ["conv3x3", "conv5x5", "sep3x3", "sep5x5", "dil3x3", "dil5x5", "identity", "zero"]  # search.AllOps
EDGES = [("xp", "t1"), ("xpp", "t1"), ("t1", "t2"), ("xp", "t2"), ("xpp", "t2"),
         ("t2", "t3"), ("t1", "t3"), ("xp", "t3"), ("xpp", "t3")]  # search.Edges, in order
TAU, LR, MOMENTUM, WEIGHT_DECAY, GRAD_CLIP = 1.0, 0.05, 0.9, 3e-4, 0.5  # Config.Tau, WeightLR, ...
BN_MOMENTUM, BN_EPS = 0.1, 1e-5  # nn.ParamBNMomentum 0.9 is GoMLX's weight of the old average


class ConvBNReLU(nn.Sequential):
    """A bias-free conv + affine BN + ReLU (nn.Apply of a conv/depthwise node with BN and ReLU)."""

    def __init__(self, name, cin, cout, k, stride=1, pad=None, dil=1, groups=1):
        pad = dil * (k - 1) // 2 if pad is None else pad  # arch.Node.Geometry's default
        conv = nn.Conv2d(cin, cout, k, stride=stride, padding=pad, dilation=dil, groups=groups, bias=False)
        nn.init.normal_(conv.weight, 0.0, math.sqrt(2.0 / (k * k * cin // groups)))  # nn.heNormal
        super().__init__(conv, nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM), nn.ReLU())
        self.go_name = name  # the node's name, its Go variables' scope under /model


def make_op(op, name, cin, width):
    """opNodes (search/cell.go): the module of one candidate op, or None for zero."""
    k = 5 if op.endswith("5x5") else 3
    if op in ("conv3x3", "conv5x5"):
        return ConvBNReLU(name, cin, width, k)
    if op in ("dil3x3", "dil5x5"):
        return ConvBNReLU(name, cin, width, k, dil=2)
    if op in ("sep3x3", "sep5x5"):  # the depthwise keeps its input width
        return nn.Sequential(ConvBNReLU(name + ".dw", cin, cin, k, groups=cin),
                             ConvBNReLU(name + ".pw", cin, width, 1))
    return nn.Identity() if op == "identity" else None


def pre_geometry(src, dst):
    """preGeometry: stride and padding of the 3x3 pre-conv that brings side src to side dst."""
    if src == dst:
        return 1, 1
    for p in (1, 0):
        if (src + 2 * p - 3) // 2 + 1 == dst:
            return 2, p
    raise ValueError(f"cannot bring a {src}-pixel map to {dst}")


class Cell(nn.Module):
    def __init__(self, i, c_xp, c_xpp, side_xp, side_xpp, width, pool):
        super().__init__()
        name = f"c{i + 1}"
        self.pool = pool
        self.pre_xp = ConvBNReLU(f"{name}.xp_pre", c_xp, width, 3)  # xp is at the cell's side: stride 1
        s, p = pre_geometry(side_xpp, side_xp)  # from the heights, as forward's preGeometry(src.side[0], ..)
        self.pre_xpp = ConvBNReLU(f"{name}.xpp_pre", c_xpp, width, 3, stride=s, pad=p)
        self.op_index = [o for o, op in enumerate(OPS) if op != "zero"]  # zero edges compute nothing
        self.edges = nn.ModuleList(
            nn.ModuleList(make_op(OPS[o], f"{name}.{a}-{b}.{OPS[o]}", width, width) for o in self.op_index)
            for a, b in EDGES)

    def forward(self, xp, xpp, w):
        nodes = {"xp": self.pre_xp(xp), "xpp": self.pre_xpp(xpp)}
        for t in ("t1", "t2", "t3"):  # intermediates, in topological order
            terms = []
            for j, (a, b) in enumerate(EDGES):
                if b == t:  # mixedEdge: sum_o w[j, o] * op_o(x)
                    terms += [op(nodes[a]) * w[j, o] for o, op in zip(self.op_index, self.edges[j])]
            nodes[t] = sum(terms[1:], terms[0])
        return F.max_pool2d(nodes["t3"], 2) if self.pool else nodes["t3"]


class Supernet(nn.Module):
    def __init__(self, preset, h, w, c, classes=10):
        super().__init__()
        p = PRESETS[preset]
        self.stem = ConvBNReLU("stem", c, p["stem"], 3)
        side, sw = h // 2, w // 2  # StemPool
        outs = [(p["stem"], side), (p["stem"], side)]  # (channels, side) of the cells' inputs
        cells = []
        for i, pool in enumerate(p["pool"]):
            (c_xp, s_xp), (c_xpp, s_xpp) = outs[-1], outs[-2]
            cells.append(Cell(i, c_xp, c_xpp, s_xp, s_xpp, p["width"], pool))
            outs.append((p["width"], s_xp // 2 if pool else s_xp))
            sw = sw // 2 if pool else sw
        self.cells = nn.ModuleList(cells)
        self.classifier = nn.Linear(p["width"] * outs[-1][1] * sw, classes)  # nn.dense: flatten, bias
        nn.init.normal_(self.classifier.weight, 0.0, math.sqrt(2.0 / self.classifier.in_features))
        nn.init.zeros_(self.classifier.bias)
        self.classifier.go_name = "classifier"
        # The op logits (/arch/cells/alpha): a buffer, since the weight phase neither updates them nor
        # differentiates with respect to them.
        self.register_buffer("alpha", p["alpha_std"] * torch.randn(len(EDGES), len(OPS)))

    def forward(self, x):
        h = F.max_pool2d(self.stem(x), 2)
        outs = [h, h]
        for cell in self.cells:
            u = torch.rand_like(self.alpha)  # gumbelNoise, a fresh draw per cell
            g = -torch.log(-torch.log(u + 1e-10) + 1e-10)
            w = F.softmax((self.alpha + g) / TAU, dim=-1)  # gumbelWeights
            outs.append(cell(outs[-1], outs[-2], w))
        return self.classifier(outs[-1].flatten(1))


def describe(net, model, x):
    """Prints every conv (Go name, Go kernel shape [kh kw cin/groups cout]) and the parameter counts."""
    shapes = {}
    hooks = [m.register_forward_hook(lambda m, i, o: shapes.__setitem__(m, tuple(i[0].shape[1:])))
             for m in net.modules() if isinstance(m, nn.Conv2d)]
    net.eval()
    with torch.no_grad():
        net(x[:2])
    for hk in hooks:
        hk.remove()
    print(f"{model}: input {tuple(x.shape[1:])} (NCHW)")
    print("conv layers: Go name, kernel [kh kw cin/groups cout], stride, padding, dilation, groups, input CxHxW")
    count = {"conv": 0, "bn": 0, "dense": 0}
    for m in net.modules():
        if isinstance(m, ConvBNReLU):
            conv, bn = m[0], m[1]
            o, i, kh, kw = conv.weight.shape
            print(f"  {m.go_name:<24} [{kh} {kw} {i} {o}]  s{conv.stride[0]} p{conv.padding[0]} "
                  f"d{conv.dilation[0]} g{conv.groups}  in {'x'.join(map(str, shapes[conv]))}")
            count["conv"] += conv.weight.numel()
            count["bn"] += bn.weight.numel() + bn.bias.numel()
    cls = net.classifier
    count["dense"] = cls.weight.numel() + cls.bias.numel()
    print(f"  classifier dense [{cls.in_features} {cls.out_features}] + bias [{cls.out_features}]")
    total = sum(p.numel() for p in net.parameters())
    assert total == sum(count.values())
    bns = sum(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    print(f"weight parameters (SGD): {total} = conv kernels {count['conv']} + BN scale/offset {count['bn']}"
          f" + classifier {count['dense']}")
    print(f"architecture parameters (alpha, not updated): {net.alpha.numel()}; batch norms: {bns}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="edge", choices=sorted(PRESETS))
    ap.add_argument("--input", default="28x28x1", help="HxWxC, as uboost's --input")
    ap.add_argument("--batch", type=int, default=0, help="images per step (0: the preset's)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--describe", action="store_true", help="print the layers and parameter counts, then exit")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    h, w, c = (int(v) for v in a.input.split("x"))
    batch = a.batch or PRESETS[a.preset]["batch"]
    model = f"supernet {a.preset} micro"  # the Go command's Result.Model
    net = Supernet(a.preset, h, w, c)
    # NewStepper's batch: value (i % 97)/97 at flat index i of the NHWC buffer, labels i % classes.
    x = (torch.arange(batch * h * w * c) % 97).float().div(97).view(batch, h, w, c).permute(0, 3, 1, 2).contiguous()
    y = torch.arange(batch) % 10
    if a.describe:
        describe(net, model, x)
        return
    params = list(net.parameters())  # exactly the /model variables: sgdUpdate's set
    opt = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, GRAD_CLIP)  # min(1, clip/(norm + 1e-6)), as sgdUpdate
        opt.step()
        return loss.item()

    report(model, batch, a.steps, time_steps(step, a.steps), a.json)

if __name__ == "__main__":
    main()
