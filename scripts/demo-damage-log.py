#!/usr/bin/python3
"""Writes a copy of a board log in which one tensor's values are overwritten from an element
on, with a correct CRC: what a board prints when a layer's output buffer is clobbered after
the layer ran (a stack overflow, a DMA into the wrong place). `make demo` uses it to show
what a wrong layer looks like; nothing here is a real board's output.

usage: demo-damage-log.py IN.log OUT.log TENSOR_INDEX FROM_ELEMENT VALUE
"""
import base64
import sys
import zlib


def main():
    src, dst, index, start, value = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    lines = open(src, encoding="ascii").read().splitlines()
    out, i = [], 0
    while i < len(lines):
        fields = lines[i].split()
        if fields[:3] != ["@mlfs", "tensor", index]:
            out.append(lines[i])
            i += 1
            continue
        header, i = fields, i + 1
        data = bytearray()
        while lines[i].startswith("@mlfs data "):
            data += base64.b64decode(lines[i][len("@mlfs data "):])
            i += 1
        for k in range(start, len(data)):
            data[k] = value & 0xFF
        header[7] = "%08x" % (zlib.crc32(bytes(data)) & 0xFFFFFFFF)
        out.append(" ".join(header))
        text = base64.b64encode(bytes(data)).decode("ascii")
        out.extend("@mlfs data " + text[k:k + 76] for k in range(0, len(text), 76))
    open(dst, "w", encoding="ascii").write("\n".join(out) + "\n")


main()
