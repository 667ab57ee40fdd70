#!/bin/sh
# make bench: runs every scripts/bench-*.sh with the built binary and prints their figures.
# Each benchmark prints ours next to the reference (ONNX Runtime) measured in the same run.
set -u
bin=${1:-build/mlfscope}
status=0
for b in scripts/bench-*.sh; do
    [ -f "$b" ] || continue
    echo "== $(basename "$b" .sh)"
    sh "$b" "$bin" || status=1
done
exit $status
