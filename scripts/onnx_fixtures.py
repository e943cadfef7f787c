#!/usr/bin/python3
"""Writes the ONNX fixtures of package onnxio (onnxio/testdata/*.onnx).

Run with Debian's python (python3-torch, python3-torchvision, python3-onnx):

    /usr/bin/python3 scripts/onnx_fixtures.py [OUT_DIR]

Every network has random weights (pricing needs only shapes). To keep the repository small, every
floating-point initializer of more than 16 values is stripped of its data: the tensor keeps its name,
type and dims, and its data is marked external (location "stripped-weights", a file that is never
written). Such a file prices and imports but does not run; uboost's importer reads only the dims of
weights and the values of the small constants (shapes, pads, clip bounds), which are kept.

Fixtures:
  ops.onnx          one small net with every op the importer lowers (see OpsNet)
  unsupported.onnx  Tanh and Softmax: import must list both nodes in one error
  symbolic.onnx     a conv net whose image height and width are symbolic (needs --input)
  resnet18.onnx, mobilenet_v2.onnx, efficientnet_b0.onnx   torchvision, 224×224, batch symbolic
  resnext50_32x4d.onnx   torchvision ResNeXt-50 32×4d: grouped convolutions (32 groups)
"""
import os
import sys

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OPSET = 17  # the newest opset torch 1.13 and onnx 1.12 (Debian bookworm) both know
STRIP_ABOVE = 16


class ZeroPad(torch.autograd.Function):
    """A one-cell zero pad exported as one Pad node with constant pads (torch 1.13 exports F.pad as a
    chain of shape arithmetic that its constant folding leaves in place)."""

    @staticmethod
    def forward(ctx, x):
        return F.pad(x, (1, 1, 1, 1))

    @staticmethod
    def symbolic(g, x):
        pads = g.op("Constant", value_t=torch.tensor([0, 0, 1, 1, 0, 0, 1, 1], dtype=torch.int64))
        return g.op("Pad", x, pads, mode_s="constant")


class OpsNet(nn.Module):
    """Every op the importer lowers, on a 3×16×16 image, in this order:
    Pad → Conv (bias) → BatchNormalization → Relu; depthwise Conv + BN + Clip(0, 6);
    grouped Conv (2 groups) + BN; SiLU (Sigmoid·Mul); Concat of the last two maps;
    MaxPool 3/2 pad 1; AveragePool 3/1 pad 1 (count_include_pad=False) + Add (residual);
    standalone BatchNormalization after the Add; HardSwish; squeeze-excitation: ReduceMean over (2, 3)
    → Conv 1×1 → Relu → Conv 1×1 → HardSigmoid → Mul; GlobalMaxPool branch and GlobalAveragePool
    branch (Add of the two); Flatten; Gemm (Linear) → Dropout → Sigmoid; Reshape [−1, 12];
    MatMul + Add (bias) → the logits."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=0, bias=True)
        self.bn1 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.grouped = nn.Conv2d(8, 8, 3, padding=1, groups=2, bias=False)
        self.bn3 = nn.BatchNorm2d(8)
        self.bn4 = nn.BatchNorm2d(16)
        self.se1 = nn.Conv2d(16, 4, 1)
        self.se2 = nn.Conv2d(4, 16, 1)
        self.fc = nn.Linear(16, 12)
        self.drop = nn.Dropout(0.2)
        self.w = nn.Parameter(torch.randn(12, 5))
        self.b = nn.Parameter(torch.randn(5))

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(ZeroPad.apply(x))))          # 8×8×8
        d = torch.clamp(self.bn2(self.dw(x)), 0, 6)
        g = self.bn3(self.grouped(d))
        g = g * torch.sigmoid(g)
        x = torch.cat([d, g], 1)                                # 8×8×16
        x = F.max_pool2d(x, 3, 2, 1)                            # 4×4×16
        x = x + F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
        x = F.hardswish(self.bn4(x))
        s = x.mean((2, 3), keepdim=True)
        s = F.hardsigmoid(self.se2(F.relu(self.se1(s))))
        x = x * s
        x = F.adaptive_max_pool2d(x, 1) + F.adaptive_avg_pool2d(x, 1)
        x = torch.flatten(x, 1)
        x = torch.sigmoid(self.drop(self.fc(x)))
        x = x.reshape(-1, 12)
        return torch.matmul(x, self.w) + self.b


class UnsupportedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = torch.tanh(self.conv(x))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return torch.softmax(self.fc(x), 1)


class SymbolicNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = F.relu(self.conv(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def strip(model):
    """Marks the data of large float initializers external and drops it (dims kept)."""
    for t in model.graph.initializer:
        n = 1
        for d in t.dims:
            n *= d
        if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE) and n > STRIP_ABOVE:
            t.ClearField("raw_data")
            t.ClearField("float_data")
            t.ClearField("double_data")
            t.data_location = onnx.TensorProto.EXTERNAL
            del t.external_data[:]
            e = t.external_data.add()
            e.key, e.value = "location", "stripped-weights"
    return model


def export(module, shape, path, axes=None):
    """Exports module on an image of the given NCHW shape; axes names the symbolic dimensions."""
    module.eval()
    torch.manual_seed(0)
    x = torch.randn(*shape)
    torch.onnx.export(module, x, path, opset_version=OPSET, input_names=["image"],
                      output_names=["logits"], dynamic_axes=axes, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    onnx.save(strip(model), path)
    print(f"{path}: {os.path.getsize(path)} bytes, {len(model.graph.node)} nodes")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "onnxio", "testdata")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    export(OpsNet(), (1, 3, 16, 16), os.path.join(out, "ops.onnx"))
    export(UnsupportedNet(), (1, 3, 8, 8), os.path.join(out, "unsupported.onnx"))
    export(SymbolicNet(), (1, 3, 32, 32), os.path.join(out, "symbolic.onnx"),
           {"image": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch"}})
    tv = torchvision.models
    for name, build in [("resnet18", tv.resnet18), ("mobilenet_v2", tv.mobilenet_v2),
                        ("efficientnet_b0", tv.efficientnet_b0), ("resnext50_32x4d", tv.resnext50_32x4d)]:
        export(build(weights=None), (1, 3, 224, 224), os.path.join(out, name + ".onnx"),
               {"image": {0: "batch"}, "logits": {0: "batch"}})


if __name__ == "__main__":
    main()
