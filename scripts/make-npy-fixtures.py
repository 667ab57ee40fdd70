#!/usr/bin/python3
# Writes the .npy files in tests/data/npy/ with numpy itself, so that the reader is tested
# against files numpy wrote (formats 1.0, 2.0 and 3.0, every supported dtype, the cases we
# must refuse). Real data: two MLPerf Tiny inputs from tests/data/boardlog/ (see its README).
# Usage: /usr/bin/python3 scripts/make-npy-fixtures.py   (from the repository root)
import numpy as np
from numpy.lib import format as npf

out = "tests/data/npy/"


def save(name, a, version=None):
    with open(out + name, "wb") as f:
        if version is None:
            np.save(f, a)
        else:
            npf.write_array(f, a, version=version)


kws = np.fromfile("tests/data/boardlog/tst_000098_Yes_9.bin", dtype=np.int8).reshape(1, 49, 10, 1)
ic = np.fromfile("tests/data/boardlog/cock_s_000054.bin", dtype=np.uint8).reshape(32, 32, 3)

save("kws_int8_1x49x10x1.npy", kws)
save("ic_uint8_32x32x3.npy", ic)
save("f32_2x3x4.npy", (np.arange(24, dtype=np.float32) * 0.5 - 3).reshape(2, 3, 4))
save("i16_v2.npy", np.arange(-5, 5, dtype=np.int16) * 1000, version=(2, 0))
save("i32_v3.npy", np.array([[-2147483648, 2147483647], [1, -1]], dtype=np.int32), version=(3, 0))
save("i64_scalar.npy", np.array(-7, dtype=np.int64))
save("bool_3.npy", np.array([True, False, True]))
save("f32_empty_0x3.npy", np.zeros((0, 3), dtype=np.float32))
save("u8_5.npy", np.array([0, 1, 127, 128, 255], dtype=np.uint8))
save("fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
save("bigendian_i4.npy", np.arange(4, dtype=">i4"))
save("structured.npy", np.zeros(2, dtype=[("a", "<i4"), ("b", "<f4")]))
print("numpy", np.__version__, "wrote", out)
