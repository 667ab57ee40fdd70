#!/bin/sh
# make demo: the main job on bundled real data. The MLPerf Tiny keyword-spotting model
# (tests/data/models/kws_ref_model.tflite) next to the MLF TVM built from it for a
# Cortex-M4 with CMSIS-NN (tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws), on a
# real input sample. Every output lands in build/demo/.
set -eu
bin=${1:-build/mlfscope}
out=build/demo
model=tests/data/models/kws_ref_model.tflite
mlf=tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws
input=tests/data/models/inputs/kws/tst_000099_Left_2.bin
rm -rf "$out"
mkdir -p "$out"

has() { "$bin" help 2>/dev/null | grep -q "^  $1 "; }
step() { printf '\n== %s\n$ %s\n' "$1" "$2"; }

step "the model" "mlfscope info $model"
"$bin" info "$model" | tee "$out/model-info.txt" | head -12

step "the MLF TVM generated from it" "mlfscope info $mlf"
"$bin" info "$mlf" | tee "$out/mlf-info.txt" | head -24

if has offloads; then
    step "where each layer went, and why" "mlfscope offloads $model $mlf"
    "$bin" offloads "$model" "$mlf" | tee "$out/offloads.txt"
    "$bin" offloads "$model" "$mlf" --json > "$out/offloads.json"
fi

step "the partitioned graph" "mlfscope graph $model --mlf $mlf -o $out/kws.svg"
if "$bin" graph --help | grep -q -- '--mlf'; then
    "$bin" graph "$model" --mlf "$mlf" -o "$out/kws.svg"
else
    "$bin" graph "$model" -o "$out/kws.svg"
fi

step "reference run, as TFLite Micro + CMSIS-NN compute it" \
    "mlfscope run $model --input $input --input-dtype int8 --arith tflm -o $out/ref"
if "$bin" run "$model" --input "$input" --input-dtype int8 --input-shape 1,49,10,1 \
    --arith tflm -o "$out/ref" > "$out/run.txt" 2>&1; then
    echo "$(grep -c '"index"' "$out/ref/index.json") tensors in $out/ref/"
else
    cat "$out/run.txt"
fi

if has twin; then
    step "the MLF's own C compiled and run on this PC (host twin)" \
        "mlfscope twin $mlf --input $input --model $model -o $out/twin"
    "$bin" twin "$mlf" --input "$input" --input-dtype int8 --input-shape 1,49,10,1 \
        --model "$model" -o "$out/twin" | tail -5
fi

if has diff && has twin; then
    step "per-layer verdict: reference vs the MLF's C" "mlfscope diff $out/ref $out/twin"
    "$bin" diff "$out/ref" "$out/twin" -o "$out/diff.json" || true
    if "$bin" graph --help | grep -q -- '--diff'; then
        "$bin" graph "$model" --diff "$out/diff.json" -o "$out/kws-diff.svg"
    fi
fi

printf '\n== outputs in %s/\n' "$out"
ls -1 "$out"
printf '\nBrowse it all in the terminal:\n  %s tui %s\n' "$bin" "$model"
