#!/bin/sh
# Interpreter speed (run by `make bench`): for shufflenet-v2-12-int8-qop and
# mlperf-tiny-ic-resnet8-qdq, `mlfscope bench` (every layer output captured in memory, median
# of N runs) in onnx and tflm mode next to ONNX Runtime's median on one thread with all graph
# optimizations (scripts/ort-dump.js --bench, onnxruntime-node in build/node), measured in the
# same run (INTERP_BENCH_ROUNDS alternating rounds of INTERP_BENCH_RUNS runs), and the ratio
# ours / ORT. Goals: ratio <= 2.0 in onnx mode, <= 1.0 in tflm mode.
# Usage: sh scripts/bench-interp.sh [path/to/mlfscope]
set -u
bin=${1:-build/mlfscope}
M=tests/data/onnx-models
runs=${INTERP_BENCH_RUNS:-50}
rounds=${INTERP_BENCH_ROUNDS:-3}
status=0

if ! why=$(sh scripts/ort-install.sh); then
    echo "bench-interp: ONNX Runtime skipped: $why"
    exit 1
fi

json_num() {  # key json
    echo "$2" | sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p"
}

# Median of the numbers on stdin.
median() {
    sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ORT and ours alternate for $rounds rounds, so drifting load on the machine falls on both
# sides alike; each side's figure is the median of its per-round medians.
bench_model() {  # name model input
    name=$1 model=$2 input=$3
    ort_all="" onnx_all="" tflm_all=""
    r=0
    while [ $r -lt "$rounds" ]; do
        ort=$(node scripts/ort-dump.js "$model" --input "$input" --bench "$runs") ||
            { echo "bench-interp: ORT failed on $name"; status=1; return; }
        ort_all="$ort_all $(json_num run_ms_median "$ort")"
        for arith in onnx tflm; do
            ours=$("$bin" bench "$model" --input "$input" --arith "$arith" -n "$runs" --json) ||
                { echo "bench-interp: mlfscope bench failed on $name"; status=1; return; }
            eval "${arith}_all=\"\$${arith}_all $(json_num run_ms_median "$ours")\""
        done
        r=$((r + 1))
    done
    ort_ms=$(printf '%s\n' $ort_all | median)
    for arith in onnx tflm; do
        eval "all=\$${arith}_all"
        our_ms=$(printf '%s\n' $all | median)
        goal=2.0
        [ "$arith" = tflm ] && goal=1.0
        awk -v n="$name" -v a="$arith" -v o="$our_ms" -v r="$ort_ms" -v g="$goal" 'BEGIN {
            ratio = o / r
            printf "%-28s %-5s ours %8.3f ms  ort %8.3f ms  ratio %5.2f  (goal <= %s) %s\n",
                n, a, o, r, ratio, g, ratio <= g ? "ok" : "MISSED"
        }'
        printf '    rounds, ms: ours'
        printf ' %.3f' $all
        printf '; ort'
        printf ' %.3f' $ort_all
        best=$(printf '%s\n' $all | sort -g | head -1)
        ort_best=$(printf '%s\n' $ort_all | sort -g | head -1)
        awk -v o="$best" -v r="$ort_best" 'BEGIN { printf "; best rounds %.2f\n", o / r }'

    done
}

bench_model shufflenet-v2-12-int8-qop "$M/shufflenet-v2-12-int8-qop/model.onnx" \
    "$M/shufflenet-v2-12-int8-qop/test_data_set_0/input_0.pb"
bench_model mlperf-tiny-ic-resnet8-qdq "$M/mlperf-tiny-ic-resnet8-qdq/model.onnx" \
    "$M/mlperf-tiny-ic-resnet8-qdq/inputs/cifar10_calib_image_0.npy"
exit $status
