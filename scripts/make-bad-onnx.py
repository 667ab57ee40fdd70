#!/usr/bin/python3
"""Writes the malformed and edge-case ONNX files in tests/data/bad/ (python3-onnx 1.12).

Run from the repository root: /usr/bin/python3 scripts/make-bad-onnx.py
Each file exercises one loader error path; tests/t_onnx.c expects exit 2 and a one-line
"mlfscope: error: FILE: ..." for each bad one, and exact values for the good ones.
"""
import os
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = "tests/data/bad"
REAL = "tests/data/onnx-models/mlperf-tiny-ic-resnet8-qdq/model.onnx"


def relu_model(extra_inits=(), inputs=None, nodes=None):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    nodes = nodes or [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    graph = helper.make_graph(nodes, "g", inputs or [x], [y], initializer=list(extra_inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def save(model, name):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(model.SerializeToString())


def main():
    os.makedirs(OUT, exist_ok=True)
    real = open(REAL, "rb").read()
    # Cut in the middle of the initializers.
    open(os.path.join(OUT, "truncated.onnx"), "wb").write(real[: len(real) // 2])
    # Not protobuf at all: 0xff... is no valid field tag.
    open(os.path.join(OUT, "not-protobuf.onnx"), "wb").write(b"\xff" * 64)
    # ir_version, then graph (field 7) claiming 1000 bytes with 10 present.
    open(os.path.join(OUT, "length-past-end.onnx"), "wb").write(
        b"\x08\x07" + b"\x3a" + bytes([0xE8, 0x07]) + b"\x0a" * 10)
    # Neither ONNX nor TFLite.
    open(os.path.join(OUT, "unknown-format.bin"), "wb").write(bytes(range(0, 64)))

    # An initializer whose dims multiply past 2^64.
    big = TensorProto()
    big.name = "w"
    big.data_type = TensorProto.FLOAT
    big.dims.extend([1 << 40, 1 << 40, 1 << 40])
    big.raw_data = b"\0" * 4
    save(relu_model([big]), "dims-overflow.onnx")

    # dims [2,3] float32 needs 24 bytes; 8 given.
    bad = TensorProto()
    bad.name = "w"
    bad.data_type = TensorProto.FLOAT
    bad.dims.extend([2, 3])
    bad.raw_data = b"\0" * 8
    save(relu_model([bad]), "size-mismatch.onnx")

    # External data pointing outside the model's folder, relative and absolute.
    for name, loc in (("external-outside.onnx", "../onnx-node/test_add/model.onnx"),
                      ("external-absolute.onnx", "/etc/hostname")):
        ext = TensorProto()
        ext.name = "w"
        ext.data_type = TensorProto.UINT8
        ext.dims.extend([4])
        ext.data_location = TensorProto.EXTERNAL
        e = ext.external_data.add()
        e.key, e.value = "location", loc
        save(relu_model([ext]), name)

    # A node reading a tensor nothing produces.
    save(relu_model(nodes=[helper.make_node("Add", ["x", "ghost"], ["y"], name="add")]),
         "undefined-input.onnx")

    # Two nodes feeding each other.
    save(relu_model(nodes=[
        helper.make_node("Add", ["x", "b"], ["a"], name="first"),
        helper.make_node("Relu", ["a"], ["b"], name="second"),
        helper.make_node("Relu", ["a"], ["y"], name="third"),
    ]), "cycle.onnx")

    # Good: external data inside the folder, offset 4 into the .bin file.
    vals = np.array([1.5, -2.0, 3.25, 0.0], dtype=np.float32)
    open(os.path.join(OUT, "external-ok.bin"), "wb").write(b"skip" + vals.tobytes())
    ext = TensorProto()
    ext.name = "w"
    ext.data_type = TensorProto.FLOAT
    ext.dims.extend([1, 4])
    ext.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "external-ok.bin"), ("offset", "4"), ("length", "16")):
        e = ext.external_data.add()
        e.key, e.value = k, v
    save(relu_model([ext], nodes=[helper.make_node("Add", ["x", "w"], ["y"], name="add")]),
         "external-ok.onnx")

    # Good: typed (non-raw) initializers, a Constant node, unnamed nodes, TENSOR attribute.
    typed = helper.make_tensor("t_i8", TensorProto.INT8, [3], [-1, 0, 127])
    shape = numpy_helper.from_array(np.array([4, 1], dtype=np.int64), "shape")
    nodes = [
        helper.make_node("Constant", [], ["c"], value=helper.make_tensor(
            "cv", TensorProto.FLOAT, [1, 4], [0.5, 0.25, -1.0, 2.0])),
        helper.make_node("Add", ["x", "c"], ["s"]),
        helper.make_node("Reshape", ["s", "shape"], ["r"]),
        helper.make_node("Flatten", ["r"], ["f"], axis=0),
        helper.make_node("Reshape", ["f", "shape2"], ["y"]),
    ]
    shape2 = numpy_helper.from_array(np.array([1, 4], dtype=np.int64), "shape2")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    save(relu_model([typed, shape, shape2], inputs=[x], nodes=nodes), "typed.onnx")

    # Good: a QDQ Conv -> Relu group, and com.microsoft QOperator ops for shape propagation.
    f = lambda n, v: numpy_helper.from_array(np.array(v, dtype=np.float32), n)
    u8 = lambda n, v: numpy_helper.from_array(np.array(v, dtype=np.uint8), n)
    i8 = lambda n, v: numpy_helper.from_array(np.array(v, dtype=np.int8), n)
    inits = [
        f("xs", 0.5), u8("xz", 128), i8("wq", np.ones((3, 2, 3, 3))),
        f("ws", [0.1, 0.2, 0.3]), i8("wz", [0, 0, 0]), f("ys", 0.25), u8("yz", 0),
        numpy_helper.from_array(np.array([1, 2, 3], dtype=np.int32), "bq"),
        f("bs", [0.05, 0.1, 0.15]),
        numpy_helper.from_array(np.array([0, 0, 0], dtype=np.int32), "bz"),
        i8("gw", np.ones((6, 150))), f("gs", 0.5), i8("gz", 0),
    ]
    nodes = [
        helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xf"], name="dq_x"),
        helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wf"], name="dq_w", axis=0),
        helper.make_node("DequantizeLinear", ["bq", "bs", "bz"], ["bf"], name="dq_b", axis=0),
        helper.make_node("Conv", ["xf", "wf", "bf"], ["cf"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["cf"], ["rf"], name="relu"),
        helper.make_node("QuantizeLinear", ["rf", "ys", "yz"], ["yq"], name="q_y"),
        helper.make_node("QLinearConcat", ["ys", "yz", "yq", "ys", "yz", "yq", "ys", "yz"],
                         ["cat"], name="cat", domain="com.microsoft", axis=1),
        helper.make_node("QLinearGlobalAveragePool", ["cat", "ys", "yz", "ys", "yz"], ["gap"],
                         name="gap", domain="com.microsoft", channels_last=1),
        helper.make_node("Flatten", ["cat"], ["flat"], name="flat"),
        helper.make_node("QGemm", ["flat", "ys", "yz", "gw", "gs", "gz", "", "ys", "yz"],
                         ["fc"], name="fc", domain="com.microsoft", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "qdq", [helper.make_tensor_value_info("xq", TensorProto.UINT8, [1, 2, 5, 5])],
        [helper.make_tensor_value_info("fc", TensorProto.UINT8, None),
         helper.make_tensor_value_info("gap", TensorProto.UINT8, None)], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("com.microsoft", 1)])
    save(model, "qdq-small.onnx")


if __name__ == "__main__":
    main()
