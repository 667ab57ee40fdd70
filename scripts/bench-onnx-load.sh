#!/bin/sh
# Loading speed: `mlfscope info --json` on the ShuffleNet-v2 int8 model (2.4 MB, 189 nodes),
# 20 runs, next to python3-onnx's onnx.load of the same file (20 loads in one process).
set -eu
bin=${1:-build/mlfscope}
model=tests/data/onnx-models/shufflenet-v2-12-int8-qop/model.onnx
start=$(date +%s%N)
i=0
while [ $i -lt 20 ]; do
    "$bin" info --json "$model" >/dev/null
    i=$((i + 1))
done
end=$(date +%s%N)
i=0
while [ $i -lt 20 ]; do
    "$bin" --version >/dev/null
    i=$((i + 1))
done
end2=$(date +%s%N)
echo "mlfscope info (load + layers + JSON): $(( (end - start) / 20000 )) us per run," \
    "of which process start $(( (end2 - end) / 20000 )) us"
if /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
    /usr/bin/python3 - "$model" <<'PY'
import sys, time, onnx
t = time.perf_counter()
for _ in range(20):
    onnx.load(sys.argv[1])
print("python3-onnx %s onnx.load: %d us per load" % (onnx.__version__, (time.perf_counter() - t) / 20 * 1e6))
PY
fi
