#!/usr/bin/env python3
"""Writes tests/data/tflite-synth/synth.tflite: a tiny TFLite model built here, to exercise
what the MLPerf Tiny models do not use: a custom operator, options of PAD, STRIDED_SLICE,
SQUEEZE, MEAN, RESHAPE and CONCATENATION, a per-axis quantized constant, a duplicate tensor
name, a tensor without a name, and a constant stored through Buffer.offset/size (schema 3c)
outside the flatbuffer (and tests/data/bad-tflite/external-past-end.tflite, whose
external buffer lies past the end of the file). It also serves as a small fuzz seed, as does no-operators.tflite (one
tensor, no operators). Run from the repository root:
    python3 scripts/gen-synth-tflite.py
The writer below lays objects out front to back (every uoffset points forward, each vtable
sits just before its table), following the FlatBuffers binary format and the field order
of tensorflow/lite/schema/schema.fbs."""
import struct

SIZES = {"u8": 1, "i8": 1, "bool": 1, "i32": 4, "u32": 4, "f32": 4, "i64": 8, "u64": 8}
FMT = {"u8": "<B", "i8": "<b", "bool": "<B", "i32": "<i", "u32": "<I", "f32": "<f",
       "i64": "<q", "u64": "<Q"}


class Table:
    def __init__(self, **fields):
        # fields: f<id>=(kind, value); kind is a scalar kind, "table", "str",
        # "vec_<scalar kind>", "vec_table" or "vec_str"
        self.fields = {int(k[1:]): v for k, v in fields.items()}


class Writer:
    def __init__(self):
        self.b = bytearray(8)   # root uoffset + file identifier

    def pad(self, n, extra=0):
        while (len(self.b) + extra) % n:
            self.b.append(0)

    def table(self, t):
        ids = sorted(t.fields)
        n_slots = ids[-1] + 1 if ids else 0
        # inline layout: soffset, then fields largest first so each is naturally aligned
        order = sorted(ids, key=lambda i: -self.inline_size(t.fields[i][0]))
        offs, size = {}, 4
        for i in order:
            s = self.inline_size(t.fields[i][0])
            while size % s:
                size += 1
            offs[i] = size
            size += s
        while size % 4:
            size += 1
        self.pad(2)
        vt = len(self.b)
        self.b += struct.pack("<HH", 4 + 2 * n_slots, size)
        for i in range(n_slots):
            self.b += struct.pack("<H", offs.get(i, 0))
        self.pad(8)
        pos = len(self.b)
        self.b += bytes(size)
        struct.pack_into("<i", self.b, pos, pos - vt)
        later = []
        for i in ids:
            kind, value = t.fields[i]
            at = pos + offs[i]
            if kind in SIZES:
                struct.pack_into(FMT[kind], self.b, at, value)
            else:
                later.append((at, kind, value))
        for at, kind, value in later:
            self.patch(at, self.object(kind, value))
        return pos

    @staticmethod
    def inline_size(kind):
        return SIZES.get(kind, 4)

    def patch(self, at, target):
        struct.pack_into("<I", self.b, at, target - at)

    def object(self, kind, value):
        if kind == "table":
            return self.table(value)
        if kind == "str":
            self.pad(4)
            pos = len(self.b)
            raw = value.encode()
            self.b += struct.pack("<I", len(raw)) + raw + b"\0"
            return pos
        elem = kind[4:]
        if elem in SIZES:
            s = SIZES[elem]
            self.pad(max(s, 4), 4 if s == 8 else 0)
            if s == 8:
                self.pad(8, 4)
            pos = len(self.b)
            self.b += struct.pack("<I", len(value))
            for v in value:
                self.b += struct.pack(FMT[elem], v)
            return pos
        # vector of tables or strings: slots first, objects after
        self.pad(4)
        pos = len(self.b)
        self.b += struct.pack("<I", len(value)) + bytes(4 * len(value))
        for k, v in enumerate(value):
            self.patch(pos + 4 + 4 * k, self.object("table" if elem == "table" else "str", v))
        return pos


def tensor(shape, ttype, buffer, name, quant=None):
    f = {"f0": ("vec_i32", shape), "f1": ("i8", ttype), "f2": ("u32", buffer)}
    if name is not None:
        f["f3"] = ("str", name)
    if quant is not None:
        f["f4"] = ("table", quant)
    return Table(**f)


def quant(scales, zps, dim=0):
    return Table(f2=("vec_f32", scales), f3=("vec_i64", zps), f6=("i32", dim))


def op(code, ins, outs, opt_type=0, opt=None):
    f = {"f0": ("u32", code), "f1": ("vec_i32", ins), "f2": ("vec_i32", outs)}
    if opt_type:
        f["f3"] = ("u8", opt_type)
        f["f4"] = ("table", opt)
    return Table(**f)


INT8, INT32 = 9, 2
EXTERNAL = struct.pack("<4i", 0, 1, 1, 0)   # int32 [2, 2] pads for PAD, stored outside


def build(external_offset):
    codes = [
        Table(f0=("i8", 34), f3=("i32", 34)),                       # 0 PAD
        Table(f0=("i8", 32), f1=("str", "MyCustomOp")),             # 1 custom
        Table(f0=("i8", 45), f3=("i32", 45)),                       # 2 STRIDED_SLICE
        Table(f0=("i8", 43), f3=("i32", 43)),                       # 3 SQUEEZE
        Table(f0=("i8", 40), f3=("i32", 40)),                       # 4 MEAN
        Table(f0=("i8", 22), f3=("i32", 22)),                       # 5 RESHAPE
        Table(f0=("i8", 9), f3=("i32", 9)),                         # 6 FULLY_CONNECTED
        Table(f0=("i8", 2), f3=("i32", 2)),                         # 7 CONCATENATION
    ]
    q = quant([0.5], [-3])
    tensors = [
        tensor([1, 4], INT8, 0, "in", q),                           # 0
        tensor([2, 2], INT32, 1, "pads"),                           # 1 external data
        tensor([3, 6], INT8, 0, "padded", q),                       # 2
        tensor([3, 6], INT8, 0, "custom_out", q),                   # 3
        tensor([2], INT32, 2, "begin"),                             # 4
        tensor([2], INT32, 2, "end"),                               # 5 same buffer
        tensor([2], INT32, 3, "strides"),                           # 6
        tensor([1, 6], INT8, 0, "sliced", q),                       # 7
        tensor([6], INT8, 0, "squeezed", q),                        # 8
        tensor([1], INT32, 4, "axis"),                              # 9
        tensor([], INT8, 0, "mean", q),                             # 10 scalar
        tensor([1], INT8, 0, "mean", q),                            # 11 duplicate name
        tensor([2, 4], INT8, 5, None, quant([0.5, 0.25], [0, 0], 0)),  # 12 no name, per axis
        tensor([1, 2], INT8, 0, "fc_out", q),                       # 13
        tensor([1, 3], INT8, 0, "concat_out", q),                   # 14
    ]
    ops = [
        op(0, [0, 1], [2], 22, Table()),
        op(1, [2], [3]),
        op(2, [3, 4, 5, 6], [7], 32, Table(f0=("i32", 1), f1=("i32", 2), f2=("i32", 0),
                                            f3=("i32", 0), f4=("i32", 1), f5=("bool", 1))),
        op(3, [7], [8], 30, Table(f0=("vec_i32", [0]))),
        op(4, [8, 9], [10], 27, Table(f0=("bool", 1))),
        op(5, [10], [11], 17, Table(f0=("vec_i32", [1]))),
        op(6, [0, 12, -1], [13], 8, Table(f0=("i8", 3), f2=("bool", 1))),
        op(7, [11, 13], [14], 10, Table(f0=("i32", -1), f1=("i8", 1))),
    ]
    buffers = [
        Table(),
        Table(f1=("u64", external_offset), f2=("u64", len(EXTERNAL))),
        Table(f0=("vec_u8", list(struct.pack("<2i", 0, 0)))),
        Table(f0=("vec_u8", list(struct.pack("<2i", 1, 1)))),
        Table(f0=("vec_u8", list(struct.pack("<i", 0)))),
        Table(f0=("vec_u8", [1, 2, 3, 4, 5, 6, 7, 8])),
    ]
    subgraph = Table(f0=("vec_table", tensors), f1=("vec_i32", [0]), f2=("vec_i32", [14]),
                     f3=("vec_table", ops), f4=("str", "main"))
    model = Table(f0=("u32", 3), f1=("vec_table", codes), f2=("vec_table", [subgraph]),
                  f3=("str", "mlfscope synthetic"), f4=("vec_table", buffers),
                  f6=("vec_table", [Table(f0=("str", "min_runtime_version"), f1=("u32", 4))]))
    w = Writer()
    w.b[4:8] = b"TFL3"
    w.patch(0, w.table(model))
    return w.b


def main():
    first = build(0)
    # The external data goes right after the flatbuffer, 16-aligned; the offset field's
    # width does not depend on its value, so a second pass gives the same layout.
    offset = (len(first) + 15) // 16 * 16
    data = build(offset)
    assert len(data) == len(first)
    data += bytes(offset - len(data)) + EXTERNAL
    with open("tests/data/tflite-synth/synth.tflite", "wb") as f:
        f.write(data)
    # A model with one tensor and no operators (a graph with no nodes must load).
    w = Writer()
    w.b[4:8] = b"TFL3"
    sg = Table(f0=("vec_table", [tensor([1, 4], INT8, 0, "x")]), f1=("vec_i32", [0]),
               f2=("vec_i32", [0]))
    w.patch(0, w.table(Table(f0=("u32", 3), f2=("vec_table", [sg]),
                             f4=("vec_table", [Table()]))))
    with open("tests/data/tflite-synth/no-operators.tflite", "wb") as f:
        f.write(w.b)
    # A bad twin: the external buffer claims bytes far past the end of the file.
    with open("tests/data/bad-tflite/external-past-end.tflite", "wb") as f:
        f.write(build(1 << 40) + bytes(offset - len(first)) + EXTERNAL)


if __name__ == "__main__":
    main()
