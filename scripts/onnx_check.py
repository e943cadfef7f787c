#!/usr/bin/python3
"""Checks ONNX files written by `uboost export`: the ONNX checker (full, with shape inference), and
that the graph has one input "input" [batch, C, H, W] and one output "logits" [batch, classes].

    /usr/bin/python3 scripts/onnx_check.py model.onnx [...]

Needs python3-onnx (Debian). Exits non-zero on the first file that fails.
"""
import sys

import onnx


def check(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    g = model.graph
    ins, outs = [i.name for i in g.input], [o.name for o in g.output]
    if ins != ["input"] or outs != ["logits"]:
        raise ValueError(f"inputs {ins}, outputs {outs}; want ['input'], ['logits']")
    rank = [len(v.type.tensor_type.shape.dim) for v in (g.input[0], g.output[0])]
    if rank != [4, 2]:
        raise ValueError(f"input rank {rank[0]}, output rank {rank[1]}; want 4 and 2")
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    print(f"{path}: ok (opset {opset}, IR {model.ir_version}, {len(g.node)} nodes, {len(g.initializer)} initializers)")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in sys.argv[1:]:
        try:
            check(p)
        except Exception as e:  # one line per failing file
            sys.exit(f"{p}: {e}")
