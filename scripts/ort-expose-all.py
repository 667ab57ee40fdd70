#!/usr/bin/python3
"""Rewrites an ONNX model so that every node output is also a graph output, for scripts/ort-dump.js.

Usage:
  ort-expose-all.py MODEL OUT.onnx OUT.json     exposes every node output; OUT.json lists, in node
                                               order, each node's name, op, domain and outputs
  ort-expose-all.py --pb-to-npy IN.pb OUT.npy [IN.pb OUT.npy ...]
                                               converts ONNX TensorProto files to .npy
Needs python3-onnx (Debian's 1.12) and numpy: run with /usr/bin/python3.
Types: onnx shape inference fills what it can; outputs it cannot type (com.microsoft ops and
what follows them) are given the element type the op defines (QLinear* -> type of input 0 /
its zero point), otherwise left untyped, which ONNX Runtime accepts and infers itself.
"""
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference


def pb_to_npy(src, dst):
    t = onnx.TensorProto()
    with open(src, "rb") as f:
        t.ParseFromString(f.read())
    np.save(dst, numpy_helper.to_array(t))


def expose(src, dst, index_path):
    model = onnx.load(src)
    try:
        inferred = shape_inference.infer_shapes(model)
    except Exception:  # inference is a convenience; ORT infers types itself
        inferred = model
    g = inferred.graph
    known = {}
    for vi in list(g.value_info) + list(g.output) + list(g.input):
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type != 0:
            known[vi.name] = vi
    elem = {k: v.type.tensor_type.elem_type for k, v in known.items()}
    for init in g.initializer:
        elem.setdefault(init.name, init.data_type)
    already = {o.name for o in model.graph.output}
    nodes = []
    for n in model.graph.node:
        # contrib QLinear ops: the output type is that of the output zero point (last input)
        if n.domain == "com.microsoft" and n.op_type.startswith("QLinear"):
            for o in n.output:
                if o not in elem and len(n.input) >= 1:
                    zp = n.input[-1] if len(n.input) >= 8 else n.input[0]
                    if zp in elem:
                        elem[o] = elem[zp]
        elif n.op_type in ("Reshape", "Transpose", "Squeeze", "Unsqueeze", "Split",
                           "Concat", "Flatten", "Identity", "MaxPool", "Slice"):
            for o in n.output:
                if o not in elem and n.input and n.input[0] in elem:
                    elem[o] = elem[n.input[0]]
        nodes.append({"name": n.name, "op": n.op_type, "domain": n.domain,
                      "outputs": [o for o in n.output if o]})
        for o in n.output:
            if not o or o in already:
                continue
            already.add(o)
            if o in known:
                model.graph.output.append(known[o])
            elif o in elem:
                model.graph.output.append(onnx.helper.make_empty_tensor_value_info(o))
                model.graph.output[-1].type.tensor_type.elem_type = elem[o]
            else:
                model.graph.output.append(onnx.ValueInfoProto(name=o))
    onnx.save(model, dst)
    with open(index_path, "w") as f:
        json.dump({"nodes": nodes,
                   "inputs": [i.name for i in model.graph.input
                              if i.name not in {x.name for x in model.graph.initializer}]}, f)


def main():
    if len(sys.argv) >= 4 and len(sys.argv) % 2 == 0 and sys.argv[1] == "--pb-to-npy":
        for src, dst in zip(sys.argv[2::2], sys.argv[3::2]):
            pb_to_npy(src, dst)
    elif len(sys.argv) == 4:
        expose(sys.argv[1], sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
