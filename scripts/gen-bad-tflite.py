#!/usr/bin/env python3
"""Makes the malformed TFLite files in tests/data/bad-tflite/ from the real MLPerf Tiny models
in tests/data/models/ (see the README there for their source and licences). Each file breaks
one rule the loader must check; run from the repository root:
    python3 scripts/gen-bad-tflite.py
The flatbuffer is navigated by hand (FlatBuffers binary format; TFLite schema field indices)
so that no TFLite or flatbuffers package is needed."""
import os
import struct

SRC = "tests/data/models/"
OUT = "tests/data/bad-tflite/"


class Buf:
    def __init__(self, data):
        self.d = bytearray(data)

    def u32(self, p):
        return struct.unpack_from("<I", self.d, p)[0]

    def i32(self, p):
        return struct.unpack_from("<i", self.d, p)[0]

    def u16(self, p):
        return struct.unpack_from("<H", self.d, p)[0]

    def field(self, table, i):
        """File offset of field i of the table at `table`, or None when absent."""
        vt = table - self.i32(table)
        if 4 + 2 * i + 2 > self.u16(vt):
            return None
        off = self.u16(vt + 4 + 2 * i)
        return table + off if off else None

    def deref(self, p):
        return p + self.u32(p)

    def vector(self, table, i):
        """(offset of the length word, length) of vector field i."""
        at = self.deref(self.field(table, i))
        return at, self.u32(at)

    def elem_table(self, vec_at, k):
        return self.deref(vec_at + 4 + 4 * k)

    def root(self):
        return self.u32(0)


def write(name, data):
    with open(OUT + name, "wb") as f:
        f.write(bytes(data))


def main():
    os.makedirs(OUT, exist_ok=True)
    kws = open(SRC + "kws_ref_model.tflite", "rb").read()
    resnet = open(SRC + "pretrainedResnet_quant.tflite", "rb").read()

    # Truncated: the first 4 KiB only; the root table's offsets point past the end.
    write("truncated.tflite", kws[:4096])

    # Wrong file identifier at bytes 4..7.
    b = Buf(kws)
    b.d[4:8] = b"TFL2"
    write("bad-identifier.tflite", b.d)

    # Root table offset outside the buffer.
    b = Buf(kws)
    struct.pack_into("<I", b.d, 0, len(b.d) + 100)
    write("root-outside.tflite", b.d)

    # The root table's soffset sends its vtable 64 bytes past the end of the file.
    b = Buf(kws)
    root = b.root()
    struct.pack_into("<i", b.d, root, root - (len(b.d) + 64))
    write("vtable-outside.tflite", b.d)

    # Subgraph 0's tensors vector (SubGraph field 0) claims 0xFFFFFF elements.
    b = Buf(kws)
    sgs, _ = b.vector(b.root(), 2)
    sg = b.elem_table(sgs, 0)
    tensors, _ = b.vector(sg, 0)
    struct.pack_into("<I", b.d, tensors, 0xFFFFFF)
    write("vector-past-end.tflite", b.d)

    # The first constant tensor's buffer (Model.buffers, Buffer.data) cut to half its length.
    b = Buf(kws)
    sgs, _ = b.vector(b.root(), 2)
    sg = b.elem_table(sgs, 0)
    tensors, n_tensors = b.vector(sg, 0)
    buffers, _ = b.vector(b.root(), 4)
    for k in range(n_tensors):
        t = b.elem_table(tensors, k)
        fp = b.field(t, 2)
        index = b.u32(fp) if fp else 0
        if index == 0:
            continue
        buf = b.elem_table(buffers, index)
        if b.field(buf, 0) is None:
            continue
        data_at, n = b.vector(buf, 0)
        if n >= 2:
            struct.pack_into("<I", b.d, data_at, n // 2)
            break
    write("short-buffer.tflite", b.d)

    # ResNet with SOFTMAX's operator code (OperatorCode.builtin_code, field 3) set to 250, a
    # code no schema version defines: not an error, the operator is reported by number.
    b = Buf(resnet)
    codes, n_codes = b.vector(b.root(), 1)
    for k in range(n_codes):
        oc = b.elem_table(codes, k)
        fp = b.field(oc, 3)
        if fp is not None and b.i32(fp) == 25:
            struct.pack_into("<i", b.d, fp, 250)
            break
    else:
        raise SystemExit("no SOFTMAX operator code with a builtin_code field")
    write("unknown-opcode.tflite", b.d)


if __name__ == "__main__":
    main()
