#!/bin/sh
# `make test`'s ONNX Runtime step: when onnxruntime-node is in build/node, or npm's registry
# answers within seconds and scripts/ort-install.sh can put it there, dumps every tensor ORT
# computes for each real model of tests/data/onnx-models (the inputs tests/golden/ort was made
# from) and the output of each tests/data/qlinearconv model into build/ort-live/, for
# tests/t_interp.c to compare against (make passes MLFSCOPE_ORT_LIVE=build/ort-live).
# Prints one line, "ort: live ..." or "ort: committed goldens (why)". Exits 0 unless ORT
# loads but a dump fails. Dumps are reused while no model, input or script is newer.
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=build/ort-live
M=tests/data/onnx-models
Q=tests/data/qlinearconv
ORT=build/node/node_modules/onnxruntime-node

goldens() {
    rm -rf "$OUT" "$OUT.tmp"
    echo "ort: committed goldens tests/golden/ort ($1)"
    exit 0
}

if [ "${MLFSCOPE_ORT_LIVE_OFF:-}" = 1 ]; then
    goldens "MLFSCOPE_ORT_LIVE_OFF=1"
fi
if [ ! -d "$ORT" ]; then
    if ! command -v node > /dev/null 2>&1 || ! command -v npm > /dev/null 2>&1; then
        goldens "node or npm not installed"
    fi
    # one quick request decides; offline, this gives up within the timeout
    timeout 8 npm ping --fetch-retries=0 --fetch-timeout=5000 > /dev/null 2>&1 ||
        goldens "npm unreachable"
    sh scripts/ort-install.sh > /dev/null ||
        goldens "npm install failed, see build/node/npm-install.log"
fi
ver=$(node -p "require('./$ORT'); require('./$ORT/package.json').version" 2> /dev/null) ||
    goldens "$ORT does not load"

if [ -f "$OUT/VERSION" ] && [ "$(cat "$OUT/VERSION")" = "$ver" ] &&
        [ -z "$(find $M $Q scripts/ort-dump.js scripts/ort-expose-all.py scripts/ort-live.sh \
                -newer "$OUT/VERSION" | head -1)" ]; then
    echo "ort: live onnxruntime-node $ver (dumps in $OUT up to date)"
    exit 0
fi

rm -rf "$OUT" "$OUT.tmp"
start=$(date +%s%N)
jobs="" n=0
job() {  # name model input...: every node output of model into $OUT.tmp/name
    name=$1 model=$2
    shift 2
    [ $n = 0 ] || jobs="$jobs --then"
    jobs="$jobs $model -o $OUT.tmp/$name"
    for i in "$@"; do jobs="$jobs --input $i"; done
    n=$((n + 1))
}
for k in 0 1 2 3 4; do
    job mlperf-tiny-ic-resnet8-qdq-img$k $M/mlperf-tiny-ic-resnet8-qdq/model.onnx \
        $M/mlperf-tiny-ic-resnet8-qdq/inputs/cifar10_calib_image_$k.npy
done
job shufflenet-v2-12-int8-qop $M/shufflenet-v2-12-int8-qop/model.onnx \
    $M/shufflenet-v2-12-int8-qop/test_data_set_0/input_0.pb
for m in onnx2c-test_qlinearadd_int8 onnx2c-test_qlinearmul_uint8; do
    # shellcheck disable=SC2046  # input_0.pb ... input_7.pb, in that order
    job $m $M/$m/model.onnx $(printf '%s\n' $M/$m/test_data_set_0/input_*.pb | sort -V)
done
for m in tract-qrelu_1 tract-qtdnn-10x5-qop; do
    job $m $M/$m/model.onnx $M/$m/input.npy
done
for f in "$Q"/*.onnx; do  # one node each: the graph output is all there is
    c=$(basename "$f" .onnx)
    job "qlinearconv/$c" "$f" "$Q/$c.input.npy"
    jobs="$jobs --outputs"
done
log=$OUT.tmp/ort-dump.log
mkdir -p "$OUT.tmp"
# shellcheck disable=SC2086
if ! node scripts/ort-dump.js $jobs > "$log" 2>&1; then
    echo "ort: scripts/ort-dump.js failed: $(grep -m1 -e 'Error' -e '^ort-dump:' "$log")"
    echo "ort: full log in $log"
    exit 1
fi

echo "$ver" > "$OUT.tmp/VERSION"
mv "$OUT.tmp" "$OUT"
ms=$((($(date +%s%N) - start) / 1000000))
echo "ort: live onnxruntime-node $ver ($n model runs dumped into $OUT in $ms ms)"
