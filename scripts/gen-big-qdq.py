#!/usr/bin/python3
"""Writes the loading/SVG benchmark model: a QDQ ONNX chain of 2,000 quantized 1x1 Conv
layers (DequantizeLinear(activation) + DequantizeLinear(int8 weights) -> Conv ->
QuantizeLinear), about 51 MB of weights. Seeded, so every run writes the same bytes.

Usage: /usr/bin/python3 scripts/gen-big-qdq.py OUT.onnx [LAYERS] [CHANNELS]
Needs python3-onnx (Debian 1.12) and numpy.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build/bench/big-qdq.onnx"
    layers = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    ch = int(sys.argv[3]) if len(sys.argv) > 3 else 160
    rng = np.random.default_rng(20261121)
    inits = []
    nodes = []

    def const(name, arr):
        inits.append(numpy_helper.from_array(arr, name))
        return name

    act_scale = const("act_scale", np.array(0.05, dtype=np.float32))
    act_zp = const("act_zp", np.array(0, dtype=np.int8))
    w_zp = const("w_zp", np.array(0, dtype=np.int8))
    nodes.append(helper.make_node("QuantizeLinear", ["input", act_scale, act_zp], ["q0"],
                                  name="quant_input"))
    cur = "q0"
    for i in range(layers):
        w = rng.integers(-127, 128, size=(ch, ch, 1, 1), dtype=np.int8)
        wq = const(f"w{i}", w)
        ws = const(f"w{i}_scale", np.array(1.0 / (16 * ch), dtype=np.float32))
        nodes.append(helper.make_node("DequantizeLinear", [cur, act_scale, act_zp],
                                      [f"x{i}_f"], name=f"dq_x{i}"))
        nodes.append(helper.make_node("DequantizeLinear", [wq, ws, w_zp], [f"w{i}_f"],
                                      name=f"dq_w{i}"))
        nodes.append(helper.make_node("Conv", [f"x{i}_f", f"w{i}_f"], [f"conv{i}"],
                                      name=f"conv{i}", kernel_shape=[1, 1]))
        nodes.append(helper.make_node("QuantizeLinear", [f"conv{i}", act_scale, act_zp],
                                      [f"q{i + 1}"], name=f"q{i + 1}"))
        cur = f"q{i + 1}"
    nodes.append(helper.make_node("DequantizeLinear", [cur, act_scale, act_zp], ["output"],
                                  name="dq_output"))
    graph = helper.make_graph(
        nodes, "big_qdq",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, ch, 4, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, ch, 4, 4])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="mlfscope gen-big-qdq.py",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)
    print(f"{out}: {layers} QDQ layers, {layers * ch * ch / 1e6:.1f} MB of int8 weights")


if __name__ == "__main__":
    main()
