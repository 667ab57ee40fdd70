#!/bin/sh
# Regenerates tests/golden/ort/: every tensor ONNX Runtime computes for each real model in
# /work/shared/fixtures/onnx-models (or $1) with its shipped input(s), via scripts/ort-dump.js
# (optimizations off, one thread). Kept: int8/uint8 tensors, and float tensors computed by an
# arithmetic op (not ones that only dequantize or move values, which follow from the integer
# ones). Needs node + onnxruntime-node in build/node and /usr/bin/python3 with onnx.
set -eu
FIX=${1:-/work/shared/fixtures/onnx-models}
OUT=tests/golden/ort
cd "$(dirname "$0")/.."
rm -rf "$OUT"
mkdir -p "$OUT"

dump() {  # floats(all|outputs) name model input...
    floats=$1 name=$2 model=$3
    shift 3
    args=""
    for i in "$@"; do args="$args --input $i"; done
    # shellcheck disable=SC2086
    node scripts/ort-dump.js "$model" $args -o "$OUT/$name"
    /usr/bin/python3 - "$OUT/$name" "$floats" "$model" <<'PY'
import json, os, sys
import onnx
d, floats = sys.argv[1], sys.argv[2]
outputs = {o.name for o in onnx.load(sys.argv[3]).graph.output}
ix = json.load(open(os.path.join(d, "index.json")))
MOVE = {"DequantizeLinear", "Reshape", "Transpose", "Split", "Concat", "Squeeze", "Unsqueeze",
        "Flatten", "Identity", "Slice", "Gather"}
keep = []
for t in ix["tensors"]:
    if (t["dtype"] in ("int8", "uint8") or t["name"] in outputs
            or (floats == "all" and t["op"] not in MOVE)):
        keep.append(t)
    else:
        os.remove(os.path.join(d, t["file"]))
ix["tensors"] = keep
with open(os.path.join(d, "index.json"), "w") as f:
    json.dump(ix, f, indent=1)
    f.write("\n")
PY
}

M=$FIX/mlperf-tiny-ic-resnet8-qdq
dump all mlperf-tiny-ic-resnet8-qdq-img0 "$M/model.onnx" "$M/inputs/cifar10_calib_image_0.npy"
for k in 1 2 3 4; do
    dump outputs mlperf-tiny-ic-resnet8-qdq-img$k "$M/model.onnx" "$M/inputs/cifar10_calib_image_$k.npy"
done
M=$FIX/shufflenet-v2-12-int8-qop
dump all shufflenet-v2-12-int8-qop "$M/model.onnx" "$M/test_data_set_0/input_0.pb"
for m in onnx2c-test_qlinearadd_int8 onnx2c-test_qlinearmul_uint8; do
    M=$FIX/$m
    dump all "$m" "$M/model.onnx" $(ls "$M"/test_data_set_0/input_*.pb | sort -V)
done
for m in tract-qrelu_1 tract-qtdnn-10x5-qop; do
    dump all "$m" "$FIX/$m/model.onnx" "$FIX/$m/input.npy"
done

ver=$(node -p "require('./build/node/node_modules/onnxruntime-node/package.json').version")
cat > "$OUT/README.md" <<MD
# ONNX Runtime goldens for the real models

Made by \`scripts/make-ort-goldens.sh\` (which runs \`scripts/ort-dump.js\` and
\`scripts/ort-expose-all.py\`) with ONNX Runtime $ver (onnxruntime-node, CPU, graph
optimizations disabled, one thread), python3-onnx $(/usr/bin/python3 -c 'import onnx; print(onnx.__version__)').
Models and inputs: /work/shared/fixtures/onnx-models (see its README and PROVENANCE files);
copies of what the tests need are in tests/data/onnx-models/.

Each folder: index.json (\`{"model", "arith", "tensors": [{"index", "name", "layer", "op",
"dtype", "shape", "file", "arith"}]}\`, in ORT's node order; \`layer\` is the ONNX node name)
and one .npy per tensor. Kept: every int8/uint8 node output, and every float node output of
an op that computes (for resnet8 images 1-4 only the graph's float output; float outputs of DequantizeLinear and pure data movement follow from the
integer tensors and are left out to keep the size down).
MD
du -sh "$OUT"
