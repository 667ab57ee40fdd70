#!/usr/bin/env python3
"""Writes parameters/default.params for the hand-written MLF trees in tests/data/mlf-hand/.

TVM's NDArray container (tvm.runtime.save_param_dict), written with struct only:
u64 magic 0xF7E58D4F05049CB7, u64 reserved, u64 n_names, names (u64 len + bytes),
u64 n_arrays, arrays (u64 0xDD5E40F096B4A13F, u64 reserved, i32 device_type=1,
i32 device_id=0, i32 ndim, u8 code, u8 bits, u16 lanes, i64 shape[ndim], i64 nbytes, data).
Usage: python3 scripts/gen-mlf-hand-params.py  (from the repository root)
"""
import struct

def container(arrays):
    out = struct.pack("<QQQ", 0xF7E58D4F05049CB7, 0, len(arrays))
    for name, _, _ in arrays:
        b = name.encode()
        out += struct.pack("<Q", len(b)) + b
    out += struct.pack("<Q", len(arrays))
    for _, shape, values in arrays:
        data = struct.pack("<%df" % len(values), *values)
        out += struct.pack("<QQiiiBBH", 0xDD5E40F096B4A13F, 0, 1, 0, len(shape), 2, 32, 1)
        out += struct.pack("<%dq" % len(shape), *shape)
        out += struct.pack("<q", len(data)) + data
    return out

root = "tests/data/mlf-hand/"
open(root + "aot-2021/parameters/default.params", "wb").write(
    container([("p0", (2, 2), [1.0, -3.0, 0.1, -0.0]), ("p1", (2,), [0.5, 4.0])]))
open(root + "graph-v7/parameters/default.params", "wb").write(
    container([("p0", (2, 4), [0.25, -0.5, 1.0, 2.0, -1.0, 0.0, 3.5, -2.25])]))
open(root + "v7-cmsis/parameters/default.params", "wb").write(container([]))
