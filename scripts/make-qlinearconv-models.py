#!/usr/bin/python3
"""Writes tests/data/qlinearconv/: one-node QLinearConv models covering its attributes, a seeded
random input for each, and ONNX Runtime's output (through scripts/ort-dump.js, optimizations
off, one thread).

Per case <name>: <name>.onnx (x is the only graph input; scales, zero points, W and B are
initializers), <name>.input.npy, <name>.output.npy (ORT). Run from the repository root with
/usr/bin/python3 (python3-onnx 1.12, numpy); needs node + onnxruntime-node in build/node.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = "tests/data/qlinearconv"
NP = {"u8": np.uint8, "s8": np.int8}
TP = {"u8": TensorProto.UINT8, "s8": TensorProto.INT8}

# name, x dtype, w dtype, x shape [N, C, spatial...], M, kernel, attributes, options
CASES = [
    ("basic_u8", "u8", "u8", [1, 3, 8, 8], 4, [3, 3], {"pads": [1, 1, 1, 1]}, {}),
    ("s8_nobias", "s8", "s8", [1, 3, 7, 9], 5, [3, 3], {}, {"bias": False}),
    ("u8_s8w_nobias_pads", "u8", "s8", [1, 2, 6, 6], 3, [3, 3], {"pads": [1, 1, 1, 1]},
     {"bias": False}),
    ("groups2", "s8", "s8", [1, 4, 8, 8], 6, [3, 3], {"group": 2, "pads": [1, 1, 1, 1]}, {}),
    ("groups3_u8", "u8", "u8", [1, 6, 7, 7], 3, [2, 2], {"group": 3}, {}),
    ("depthwise", "s8", "s8", [1, 8, 9, 9], 8, [3, 3], {"group": 8, "pads": [1, 1, 1, 1]},
     {"per_channel": True}),
    ("depthwise_mult2", "s8", "s8", [1, 4, 8, 8], 8, [3, 3], {"group": 4, "pads": [0, 1, 1, 0]},
     {"per_channel": True}),
    ("depthwise_u8_stride2", "u8", "u8", [1, 6, 10, 10], 6, [3, 3],
     {"group": 6, "strides": [2, 2], "pads": [1, 1, 1, 1]}, {}),
    ("strides_asym_pads", "s8", "s8", [1, 3, 11, 9], 4, [3, 3],
     {"strides": [2, 1], "pads": [1, 0, 0, 2]}, {}),
    ("dilations", "u8", "u8", [1, 3, 12, 12], 4, [3, 3],
     {"dilations": [2, 3], "pads": [2, 2, 2, 2]}, {}),
    ("same_upper", "s8", "s8", [1, 3, 10, 10], 4, [4, 4],
     {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, {"per_channel": True}),
    ("same_lower", "u8", "u8", [1, 3, 10, 11], 4, [4, 3],
     {"auto_pad": "SAME_LOWER", "strides": [2, 3]}, {}),
    # ORT rejects dilations with SAME_UPPER/SAME_LOWER, so no case combines them
    ("valid", "u8", "s8", [1, 3, 9, 8], 4, [2, 3], {"auto_pad": "VALID", "strides": [2, 2]},
     {"per_channel": True}),
    ("perchannel_s8", "s8", "s8", [1, 16, 6, 6], 16, [1, 1], {}, {"per_channel": True}),
    ("perchannel_u8x_s8w", "u8", "s8", [1, 8, 5, 5], 12, [3, 3], {"pads": [1, 1, 1, 1]},
     {"per_channel": True}),
    ("wzp_u8", "u8", "u8", [1, 4, 6, 6], 4, [3, 3], {"pads": [1, 1, 1, 1]}, {"wzp": 131}),
    ("no_kernel_shape", "s8", "s8", [1, 3, 6, 6], 2, [2, 2], {}, {"no_kernel_shape": True}),
    ("batch2", "s8", "s8", [2, 3, 5, 5], 4, [3, 3], {"pads": [1, 1, 1, 1]}, {}),
    ("saturate", "s8", "s8", [1, 16, 6, 6], 4, [3, 3], {"pads": [1, 1, 1, 1]},
     {"y_scale_factor": 0.2}),
    ("conv1d", "s8", "s8", [1, 4, 16], 3, [3], {"strides": [2], "pads": [1, 1]}, {}),
    ("conv1d_u8_dil", "u8", "u8", [1, 2, 13], 4, [3], {"dilations": [2]}, {}),
    ("conv1d_same_lower", "u8", "u8", [1, 2, 13], 4, [4],
     {"auto_pad": "SAME_LOWER", "strides": [2]}, {}),
    ("conv1d_depthwise", "s8", "s8", [1, 5, 12], 5, [5], {"group": 5, "pads": [2, 2]},
     {"per_channel": True}),
]


def qrange(t):
    return (0, 255) if t == "u8" else (-128, 127)


def make_case(rng, name, xt, wt, xshape, m, kernel, attrs, opt):
    c = xshape[1]
    group = attrs.get("group", 1)
    lo, hi = qrange(xt)
    x = rng.randint(lo, hi + 1, size=xshape).astype(NP[xt])
    wlo, whi = qrange(wt)
    w = rng.randint(wlo, whi + 1, size=[m, c // group] + kernel).astype(NP[wt])
    x_scale = np.float32(rng.uniform(0.005, 0.05))
    x_zp = np.array(rng.randint(lo + 20, hi - 20) if xt == "u8" else rng.randint(-20, 20),
                    dtype=NP[xt])
    if opt.get("per_channel"):
        w_scale = rng.uniform(0.001, 0.02, size=[m]).astype(np.float32)
    else:
        w_scale = np.float32(rng.uniform(0.001, 0.02))
    # ORT requires equal weight zero points (0 for int8 weights, any for uint8); with
    # per-channel scales they are given per channel too, as ORT's quantizer writes them
    if "wzp" in opt:
        w_zp = np.array(opt["wzp"], dtype=NP[wt])
    else:
        w_zp = np.array(128 if wt == "u8" else 0, dtype=NP[wt])
    if opt.get("per_channel"):
        w_zp = np.full([m], w_zp, dtype=NP[wt])
    taps = (c // group) * int(np.prod(kernel))
    # about 3 standard deviations of the real-valued accumulator span the output range
    spread = float(np.mean(w_scale)) * x_scale * 5500 * np.sqrt(taps)
    y_scale = np.float32(spread * 3 / 127 * opt.get("y_scale_factor", 1.0))
    y_zp = np.array(rng.randint(lo + 30, hi - 30) if xt == "u8" else rng.randint(-10, 10),
                    dtype=NP[xt])
    inits = [
        numpy_helper.from_array(np.array(x_scale, dtype=np.float32), "x_scale"),
        numpy_helper.from_array(x_zp, "x_zero_point"),
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(np.array(w_scale, dtype=np.float32), "w_scale"),
        numpy_helper.from_array(w_zp, "w_zero_point"),
        numpy_helper.from_array(np.array(y_scale, dtype=np.float32), "y_scale"),
        numpy_helper.from_array(y_zp, "y_zero_point"),
    ]
    inputs = ["x", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point", "y_scale",
              "y_zero_point"]
    if opt.get("bias", True):
        b = rng.randint(-3000, 3000, size=[m]).astype(np.int32)
        inits.append(numpy_helper.from_array(b, "b"))
        inputs.append("b")
    node_attrs = dict(attrs)
    if not opt.get("no_kernel_shape"):
        node_attrs["kernel_shape"] = kernel
    node = helper.make_node("QLinearConv", inputs, ["y"], name=name, **node_attrs)
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("x", TP[xt], xshape)],
                              [helper.make_tensor_value_info("y", TP[xt], [None] * len(xshape))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model, x


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    rng = np.random.RandomState(20261121)
    ver = subprocess.check_output(
        ["node", "-p", "require('./build/node/node_modules/onnxruntime-node/package.json').version"],
        text=True).strip()
    names = []
    for case in CASES:
        name = case[0]
        model, x = make_case(rng, *case)
        onnx.save(model, f"{OUT}/{name}.onnx")
        np.save(f"{OUT}/{name}.input.npy", x)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.check_call(["node", "scripts/ort-dump.js", f"{OUT}/{name}.onnx", "--input",
                                   f"{OUT}/{name}.input.npy", "--outputs", "-o", tmp])
            ix = json.load(open(f"{tmp}/index.json"))
            shutil.copy(f"{tmp}/{ix['tensors'][0]['file']}", f"{OUT}/{name}.output.npy")
        names.append(name)
    with open(f"{OUT}/README.md", "w") as f:
        f.write(f"""# QLinearConv models checked with ONNX Runtime

Made by `scripts/make-qlinearconv-models.py` (python3-onnx {onnx.__version__}, numpy
{np.__version__}, seed 20261121). Outputs by ONNX Runtime {ver} (onnxruntime-node, CPU, graph
optimizations disabled, one thread) through `scripts/ort-dump.js`.

Per case: `<case>.onnx` (one QLinearConv, opset 13; x is the only graph input),
`<case>.input.npy` (random x), `<case>.output.npy` (ORT's y). The ONNX backend node tests
have no QLinearConv test, so these are the QLinearConv conformance data.

Cases: {", ".join(names)}.
""")


if __name__ == "__main__":
    sys.exit(main())
