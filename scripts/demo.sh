#!/bin/sh
# make demo: the main job on bundled real data. The MLPerf Tiny keyword-spotting model
# (tests/data/models/kws_ref_model.tflite) next to the MLF TVM built from it for a Cortex-M4
# with CMSIS-NN (tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws), on a real test sample
# whose scores the board printed (tests/data/models/README.md). Outputs land in build/demo/.
set -eu
bin=${1:-build/mlfscope}
out=build/demo
model=tests/data/models/kws_ref_model.tflite
mlf=tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws
input=tests/data/models/inputs/kws/tst_000099_Left_2.bin
raw="--input-dtype int8 --input-shape 1,49,10,1"
rm -rf "$out"
mkdir -p "$out"

step() { printf '\n== %s\n$ %s\n' "$1" "$2"; }
last_scores() {  # run folder: prints the last tensor's values
    /usr/bin/python3 -c 'import json, sys, numpy as np
d = sys.argv[1]; t = json.load(open(d + "/index.json"))["tensors"][-1]
print("%s: %s" % (t["name"], np.load(d + "/" + t["file"]).ravel().tolist()))' "$1"
}

step "the model" "mlfscope info $model"
"$bin" info "$model" > "$out/model-info.txt"
head -9 "$out/model-info.txt"

step "the MLF TVM generated from it" "mlfscope info $mlf"
"$bin" info "$mlf" > "$out/mlf-info.txt"
sed -n '1,16p' "$out/mlf-info.txt"

step "where each layer went, and why" "mlfscope offloads $model $mlf"
"$bin" offloads "$model" "$mlf" | tee "$out/offloads.txt"
"$bin" offloads "$model" "$mlf" --json > "$out/offloads.json"

step "the partitioned graph" "mlfscope graph $model --mlf $mlf -o $out/kws.svg"
"$bin" graph "$model" --mlf "$mlf" -o "$out/kws.svg"

step "reference run, each layer as the MLF deployed it" \
    "mlfscope run $model --input $input $raw --arith deployed --mlf $mlf -o $out/ref"
"$bin" run "$model" --input "$input" $raw --arith deployed --mlf "$mlf" -o "$out/ref"
last_scores "$out/ref"
echo "the board printed: [-128, -128, 56, -128, -125, -128, -120, -128, -126, -128, -128, -70]"

step "the MLF's own C compiled and run on this PC (host twin)" \
    "mlfscope twin $mlf --input $input $raw --model $model -o $out/twin"
"$bin" twin "$mlf" --input "$input" $raw --model "$model" -o "$out/twin" 2>&1 | tail -1

# No board is attached here. The twin's program printed every layer through the same
# emitter (dump/firmware/mlfscope_dump.c) that `mlfscope instrument` puts into firmware, so
# its log stands in for one `mlfscope capture` would record from a board.
cp "$out/twin/build/board.log" "$out/board.log"
step "per layer: reference vs board log vs twin" \
    "mlfscope diff $model --input $input --mlf $mlf --log $out/board.log --twin"
"$bin" diff "$model" --input "$input" --input-dtype int8 --mlf "$mlf" --log "$out/board.log" \
    --twin --twin-dir "$out/twin" -o "$out/diff.json" 2>/dev/null || true

step "the graph coloured by verdict" "mlfscope graph $model --mlf $mlf --diff $out/diff.json -o $out/kws-diff.svg"
"$bin" graph "$model" --mlf "$mlf" --diff "$out/diff.json" -o "$out/kws-diff.svg"

# What a wrong layer looks like: the same log with layer 4's buffer overwritten from element
# 5000 on (as a stack overflow into it would), its CRC recomputed as the board would print it.
/usr/bin/python3 scripts/demo-damage-log.py "$out/board.log" "$out/board-damaged.log" 4 5000 0
step "a board whose layer 4 buffer was clobbered (simulated)" \
    "mlfscope diff $model --input $input --mlf $mlf --log $out/board-damaged.log --twin"
"$bin" diff "$model" --input "$input" --input-dtype int8 --mlf "$mlf" \
    --log "$out/board-damaged.log" --twin --twin-dir "$out/twin" -o "$out/diff-damaged.json" \
    2>/dev/null || echo "(exit status $?: a layer diverged)"
"$bin" graph "$model" --mlf "$mlf" --diff "$out/diff-damaged.json" \
    -o "$out/kws-diff-damaged.svg" 2>/dev/null

printf '\n== outputs in %s/\n' "$out"
ls -1 "$out"
printf '\nBrowse it all in the terminal:\n  %s tui %s --mlf %s --input %s %s --log %s\n' \
    "$bin" "$model" "$mlf" "$input" "$raw" "$out/board.log"
