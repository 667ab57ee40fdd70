#!/usr/bin/env python3
"""Writes the hand-made fixtures of tests/t_offload.c into tests/data/offload/ (run from the
repository root with /usr/bin/python3, which has onnx and numpy):
  spans.tflite     the TFLite model of tests/data/mlf-hand/v7-cmsis (conv 1x1 -> reshape ->
                   fully connected -> softmax; weights and biases are that tree's constants)
  nospans/         a copy of that MLF tree with every span= removed from the Relay text
  overlap/         a copy whose fully-connected output is placed over its own input
  rules.onnx       one ONNX node per TVM CMSIS-NN partitioning rule that can fail
  qdq.onnx, qdq/   (and qdq-input.npy) a small ONNX QDQ model and a hand-written plain-C MLF (no USMP) for it,
                   weights copied verbatim (conv) and transposed (dense) as TVM does
"""
import os
import re
import shutil
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib
synth = importlib.import_module("gen-synth-tflite")
Table, Writer, tensor, quant, op = synth.Table, synth.Writer, synth.tensor, synth.quant, synth.op

OUT = "tests/data/offload"
HAND = "tests/data/mlf-hand/v7-cmsis"
INT8, INT32 = 9, 2

# constants of tests/data/mlf-hand/v7-cmsis/codegen/host/src/default_lib0.c
CONV_W = [1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -127]
CONV_B = [-0x66, 0, 0x3e8, -0x1e240]
FC_W = ([-128, 127, 0, -1, 16, -16, 32, -32] + list(range(1, 9)) + [-v for v in range(1, 9)] +
        list(range(0x11, 0x19)) + [-v for v in range(0x11, 0x19)] + list(range(0x21, 0x29)) +
        [-v for v in range(0x21, 0x29)] + list(range(0x31, 0x39)))
FC_B = [10, -10, 100, -100]


def spans_tflite():
    i8 = lambda v: list(struct.pack("<%db" % len(v), *v))
    i32 = lambda v: list(struct.pack("<%di" % len(v), *v))
    codes = [Table(f0=("i8", 3), f3=("i32", 3)), Table(f0=("i8", 22), f3=("i32", 22)),
             Table(f0=("i8", 9), f3=("i32", 9)), Table(f0=("i8", 25), f3=("i32", 25))]
    tensors = [
        tensor([1, 2, 2, 4], INT8, 0, "serving_default_input_1:0", quant([0.0078125], [-128])),
        tensor([4, 1, 1, 4], INT8, 1, "model/conv2d/Conv2D",
               quant([0.01, 0.02, 0.03, 0.04], [0, 0, 0, 0], 0)),
        tensor([4], INT32, 2, "model/conv2d/BiasAdd",
               quant([0.0078125 * s for s in (0.01, 0.02, 0.03, 0.04)], [0, 0, 0, 0], 0)),
        tensor([1, 2, 2, 4], INT8, 0, "model/conv2d/Relu", quant([0.0235294], [-5])),
        tensor([2], INT32, 3, "model/flatten/Const"),
        tensor([1, 16], INT8, 0, "model/flatten/Reshape", quant([0.0235294], [-5])),
        tensor([4, 16], INT8, 4, "model/dense/MatMul", quant([0.01], [0])),
        tensor([4], INT32, 5, "model/dense/BiasAdd", quant([0.000235294], [0])),
        tensor([1, 4], INT8, 0, "model/dense/BiasAdd1", quant([0.1], [3])),
        tensor([1, 4], INT8, 0, "StatefulPartitionedCall", quant([0.00390625], [-128])),
    ]
    ops = [
        op(0, [0, 1, 2], [3], 1, Table(f0=("i8", 1), f1=("i32", 1), f2=("i32", 1),
                                       f3=("i8", 1))),
        op(1, [3, 4], [5], 17, Table(f0=("vec_i32", [1, 16]))),
        op(2, [5, 6, 7], [8], 8, Table(f0=("i8", 0))),
        op(3, [8], [9], 9, Table(f0=("f32", 1.0))),
    ]
    buffers = [Table(), Table(f0=("vec_u8", [b & 255 for b in i8(CONV_W)])),
               Table(f0=("vec_u8", i32(CONV_B))), Table(f0=("vec_u8", i32([1, 16]))),
               Table(f0=("vec_u8", [b & 255 for b in i8(FC_W)])), Table(f0=("vec_u8", i32(FC_B)))]
    sg = Table(f0=("vec_table", tensors), f1=("vec_i32", [0]), f2=("vec_i32", [9]),
               f3=("vec_table", ops), f4=("str", "main"))
    model = Table(f0=("u32", 3), f1=("vec_table", codes), f2=("vec_table", [sg]),
                  f3=("str", "mlfscope offload fixture"), f4=("vec_table", buffers))
    w = Writer()
    w.b[4:8] = b"TFL3"
    w.patch(0, w.table(model))
    with open(os.path.join(OUT, "spans.tflite"), "wb") as f:
        f.write(w.b)


def copy_tree(name, edit):
    dst = os.path.join(OUT, name)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(HAND, dst)
    for root, _, files in os.walk(dst):
        for fn in files:
            p = os.path.join(root, fn)
            if fn.endswith((".c", ".relay")):
                with open(p) as f:
                    s = f.read()
                s2 = edit(fn, s)
                if s2 != s:
                    with open(p, "w") as f:
                        f.write(s2)


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def rules_onnx():
    rng = np.random.default_rng(7)
    w = lambda *s: rng.integers(-100, 100, size=s).astype(np.int8)
    f32 = lambda v: np.array(v, dtype=np.float32)
    inits = [
        init("s", f32(0.05)), init("z8", np.array(0, np.int8)), init("zu8", np.array(128, np.uint8)),
        init("ws", f32(0.01)), init("ys", f32(0.1)), init("yz", np.array(0, np.int8)),
        init("yzu", np.array(128, np.uint8)),
        init("W1", w(4, 4, 1, 1)), init("B1", np.arange(4, dtype=np.int32)),
        init("Wu", rng.integers(0, 255, size=(4, 4, 1, 1)).astype(np.uint8)),
        init("W4", w(4, 4, 1, 1)), init("wz3", np.array(3, np.int8)),
        init("W5", w(4, 1, 3, 3)),
        init("W6", w(4, 4, 1, 1)),
        init("sm_s", f32(1.0 / 128)),
        init("Wm", w(64, 4)),
        init("Wg", rng.standard_normal((4, 64)).astype(np.float32)),
        init("shape2", np.array([1, 64], np.int64)),
    ]
    n = helper.make_node
    nodes = [
        n("QuantizeLinear", ["x", "s", "z8"], ["xq"], name="quant_x"),
        n("QuantizeLinear", ["x", "s", "zu8"], ["xu"], name="quant_xu"),
        n("QLinearConv", ["xq", "s", "z8", "W1", "ws", "z8", "ys", "yz", "B1"], ["y_nchw"],
          name="conv_nchw"),
        n("QLinearConv", ["xu", "s", "zu8", "Wu", "ws", "zu8", "ys", "yzu"], ["y_uint8"],
          name="conv_uint8"),
        n("QLinearConv", ["xq", "s", "z8", "w_dyn", "ws", "z8", "ys", "yz"], ["y_dyn"],
          name="conv_unbound"),
        n("QLinearConv", ["xq", "s", "z8", "W4", "ws", "wz3", "ys", "yz"], ["y_wzp"],
          name="conv_weight_zp"),
        n("QLinearConv", ["xq", "s", "z8", "W5", "ws", "z8", "ys", "yz"], ["y_dw"],
          name="dw_no_bias", group=4, pads=[1, 1, 1, 1]),
        n("DequantizeLinear", ["xq", "s", "z8"], ["xd"], name="dq_x"),
        n("DequantizeLinear", ["W6", "ws", "z8"], ["w6d"], name="dq_w6"),
        n("Conv", ["xd", "w6d"], ["c6"], name="conv_qdq"),
        n("QuantizeLinear", ["c6", "ys", "yz"], ["y_qdq"], name="q_c6"),
        n("MaxPool", ["xq"], ["y_pool"], name="maxpool_nchw", kernel_shape=[2, 2],
          strides=[2, 2]),
        n("DequantizeLinear", ["xq", "s", "z8"], ["xd2"], name="dq_x2"),
        n("Softmax", ["xd2"], ["sm"], name="softmax", axis=-1),
        n("QuantizeLinear", ["sm", "sm_s", "z8"], ["y_softmax"], name="q_softmax"),
        n("Tanh", ["x"], ["y_tanh"], name="tanh"),
        n("Reshape", ["xq", "shape2"], ["xq2"], name="flatten_q"),
        n("QLinearMatMul", ["xq2", "s", "z8", "Wm", "ws", "z8", "ys", "yz"], ["y_mm"],
          name="matmul_int8"),
        n("Reshape", ["x", "shape2"], ["x2"], name="flatten_f"),
        n("Gemm", ["x2", "Wg"], ["y_gemm"], name="gemm_float", transB=1),
    ]
    vi = lambda nm, t, s: helper.make_tensor_value_info(nm, t, s)
    outs = [vi("y_nchw", TensorProto.INT8, [1, 4, 4, 4]), vi("y_uint8", TensorProto.UINT8, [1, 4, 4, 4]),
            vi("y_dyn", TensorProto.INT8, [1, 4, 4, 4]), vi("y_wzp", TensorProto.INT8, [1, 4, 4, 4]),
            vi("y_dw", TensorProto.INT8, [1, 4, 4, 4]), vi("y_qdq", TensorProto.INT8, [1, 4, 4, 4]),
            vi("y_pool", TensorProto.INT8, [1, 4, 2, 2]),
            vi("y_softmax", TensorProto.INT8, [1, 4, 4, 4]), vi("y_tanh", TensorProto.FLOAT, [1, 4, 4, 4]),
            vi("y_mm", TensorProto.INT8, [1, 4]), vi("y_gemm", TensorProto.FLOAT, [1, 4])]
    g = helper.make_graph(nodes, "rules", [vi("x", TensorProto.FLOAT, [1, 4, 4, 4]),
                                           vi("w_dyn", TensorProto.INT8, [4, 4, 1, 1])],
                          outs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="mlfscope gen-offload-fixtures")
    m.ir_version = 7
    onnx.save(m, os.path.join(OUT, "rules.onnx"))


def c_array(ctype, name, vals):
    body = ", ".join(("%+#04x" if ctype == "int8_t" else "%+#010x") % v if v >= 0 else
                     ("-%#04x" if ctype == "int8_t" else "-%#010x") % -v for v in vals)
    return ('static const %s __attribute__((section(".rodata.tvm"), aligned(16))) %s[%d] = {\n'
            '    %s\n};\n' % (ctype, name, len(vals), body))


def qdq_model_and_mlf():
    rng = np.random.default_rng(11)
    wc = rng.integers(-127, 127, size=(8, 4, 3, 3)).astype(np.int8)
    bc = rng.integers(-1000, 1000, size=8).astype(np.int32)
    wm = rng.integers(-127, 127, size=(32, 4)).astype(np.int8)
    f32 = lambda v: np.array(v, dtype=np.float32)
    inits = [init("s_in", f32(0.05)), init("z", np.array(0, np.int8)), init("s_w", f32(0.01)),
             init("s_b", f32(0.0005)), init("z32", np.array(0, np.int32)), init("s_c", f32(0.1)),
             init("W", wc), init("B", bc), init("Wm", wm), init("s_m", f32(0.2)),
             init("shape", np.array([1, 32], np.int64))]
    n = helper.make_node
    nodes = [
        n("QuantizeLinear", ["input", "s_in", "z"], ["xq"], name="quant_in"),
        n("DequantizeLinear", ["xq", "s_in", "z"], ["xd"], name="dq_in"),
        n("DequantizeLinear", ["W", "s_w", "z"], ["wd"], name="dq_w"),
        n("DequantizeLinear", ["B", "s_b", "z32"], ["bd"], name="dq_b"),
        n("Conv", ["xd", "wd", "bd"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        n("QuantizeLinear", ["c", "s_c", "z"], ["cq"], name="q_conv"),
        n("DequantizeLinear", ["cq", "s_c", "z"], ["cd"], name="dq_conv"),
        n("MaxPool", ["cd"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        n("QuantizeLinear", ["p", "s_c", "z"], ["pq"], name="q_pool"),
        n("Reshape", ["pq", "shape"], ["rq"], name="flatten"),
        n("DequantizeLinear", ["rq", "s_c", "z"], ["rd"], name="dq_flat"),
        n("DequantizeLinear", ["Wm", "s_w", "z"], ["wmd"], name="dq_wm"),
        n("MatMul", ["rd", "wmd"], ["mm"], name="matmul"),
        n("QuantizeLinear", ["mm", "s_m", "z"], ["mq"], name="q_mm"),
        n("DequantizeLinear", ["mq", "s_m", "z"], ["md"], name="dq_mm"),
        n("Softmax", ["md"], ["output"], name="softmax", axis=-1),
    ]
    vi = lambda nm, t, s: helper.make_tensor_value_info(nm, t, s)
    g = helper.make_graph(nodes, "qdq", [vi("input", TensorProto.FLOAT, [1, 4, 4, 4])],
                          [vi("output", TensorProto.FLOAT, [1, 4])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="mlfscope gen-offload-fixtures")
    m.ir_version = 7
    onnx.save(m, os.path.join(OUT, "qdq.onnx"))
    np.save(os.path.join(OUT, "qdq-input.npy"),
            ((np.arange(64, dtype=np.float32) - 32) / 10).reshape(1, 4, 4, 4))

    src = os.path.join(OUT, "qdq", "codegen", "host", "src")
    shutil.rmtree(os.path.join(OUT, "qdq"), ignore_errors=True)
    os.makedirs(src)
    fns = [
        ("tvmgen_default_fused_qnn_quantize", "float* p0, int8_t* T_cast", 64,
         "T_cast[i] = (int8_t)p0[i];"),
        ("tvmgen_default_fused_qnn_dequantize_nn_conv2d_add_qnn_quantize",
         "int8_t* p0, int8_t* p1, int32_t* p2, int8_t* T_cast", 128,
         "T_cast[i] = (int8_t)(p0[i % 64] + p1[i] + p2[i % 8]);"),
        ("tvmgen_default_fused_qnn_dequantize_nn_max_pool2d_qnn_quantize",
         "int8_t* p0, int8_t* T_cast", 32, "T_cast[i] = p0[i * 4];"),
        ("tvmgen_default_fused_qnn_dequantize_nn_dense_qnn_quantize",
         "int8_t* p0, int8_t* p1, int8_t* T_cast", 4, "T_cast[i] = (int8_t)(p0[i] + p1[i]);"),
        ("tvmgen_default_fused_qnn_dequantize_nn_softmax", "int8_t* p0, float* T_softmax", 4,
         "T_softmax[i] = (float)p0[i];"),
    ]
    out = ["// tvm target: c -keys=arm_cpu,cpu -mcpu=cortex-m4\n#define TVM_EXPORTS\n"
           '#include "tvm/runtime/c_runtime_api.h"\n#include "tvm/runtime/c_backend_api.h"\n'
           "#include <math.h>\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n",
           c_array("int8_t", "constant_0", wc.flatten().tolist()),
           c_array("int32_t", "constant_1", bc.tolist()),
           c_array("int8_t", "constant_2", wm.T.flatten().tolist()),
           "#ifdef __cplusplus\n}\n#endif\n"]
    for name, params, count, stmt in fns:
        out.append("#ifdef __cplusplus\nextern \"C\"\n#endif\n"
                   "TVM_DLL int32_t %s(%s) {\n  for (int32_t i = 0; i < %d; ++i) {\n    %s\n"
                   "  }\n  return 0;\n}\n\n" % (name, params, count, stmt))
    out.append(
        "#ifdef __cplusplus\nextern \"C\"\n#endif\n"
        "TVM_DLL int32_t tvmgen_default___tvm_main__(float* input_buffer_var, "
        "float* output_buffer_var) {\n"
        "  void* sid_1 = TVMBackendAllocWorkspace(1, 0, (uint64_t)64, 0, 8);\n"
        "  if (sid_1 == NULL) {\n    return -1;\n  }\n"
        "  void* sid_2 = TVMBackendAllocWorkspace(1, 0, (uint64_t)128, 0, 8);\n"
        "  if (sid_2 == NULL) {\n    return -1;\n  }\n"
        "  void* sid_3 = TVMBackendAllocWorkspace(1, 0, (uint64_t)32, 0, 8);\n"
        "  if (sid_3 == NULL) {\n    return -1;\n  }\n"
        "  void* sid_4 = TVMBackendAllocWorkspace(1, 0, (uint64_t)4, 0, 8);\n"
        "  if (sid_4 == NULL) {\n    return -1;\n  }\n"
        "  if (tvmgen_default_fused_qnn_quantize(input_buffer_var, sid_1) != 0 ) return -1;\n"
        "  if (tvmgen_default_fused_qnn_dequantize_nn_conv2d_add_qnn_quantize(sid_1, constant_0, "
        "constant_1, sid_2) != 0 ) return -1;\n"
        "  if (tvmgen_default_fused_qnn_dequantize_nn_max_pool2d_qnn_quantize(sid_2, sid_3) != 0 ) "
        "return -1;\n"
        "  if (tvmgen_default_fused_qnn_dequantize_nn_dense_qnn_quantize(sid_3, constant_2, sid_4) "
        "!= 0 ) return -1;\n"
        "  if (tvmgen_default_fused_qnn_dequantize_nn_softmax(sid_4, output_buffer_var) != 0 ) "
        "return -1;\n"
        "  if (TVMBackendFreeWorkspace(1, 0, sid_4) != 0) {\n    return -1;\n  }\n"
        "  if (TVMBackendFreeWorkspace(1, 0, sid_3) != 0) {\n    return -1;\n  }\n"
        "  if (TVMBackendFreeWorkspace(1, 0, sid_2) != 0) {\n    return -1;\n  }\n"
        "  if (TVMBackendFreeWorkspace(1, 0, sid_1) != 0) {\n    return -1;\n  }\n"
        "  return 0;\n}\n\n")
    with open(os.path.join(src, "default_lib1.c"), "w") as f:
        f.write("".join(out))
    with open(os.path.join(src, "default_lib0.c"), "w") as f:
        f.write('#include "tvm/runtime/c_runtime_api.h"\n#ifdef __cplusplus\nextern "C" {\n#endif\n'
                "#include <tvmgen_default.h>\n"
                "TVM_DLL int32_t tvmgen_default___tvm_main__(void* input,void* output0);\n"
                "int32_t tvmgen_default_run(struct tvmgen_default_inputs* inputs,"
                "struct tvmgen_default_outputs* outputs) {return tvmgen_default___tvm_main__("
                "inputs->input,outputs->output);\n}\n#ifdef __cplusplus\n}\n#endif\n;\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    spans_tflite()
    copy_tree("nospans", lambda fn, s: re.sub(r" span=[^\s*]+", "", s))
    copy_tree("overlap", lambda fn, s: s.replace("sid_2_let = (&(global_workspace_1_var[16]))",
                                                 "sid_2_let = (&(global_workspace_1_var[0]))"))
    rules_onnx()
    qdq_model_and_mlf()


if __name__ == "__main__":
    main()
