#!/bin/sh
# Loading and SVG benchmark (run by `make bench`): a 2,000-layer QDQ model with ~51 MB of
# weights (scripts/gen-big-qdq.py, generated into build/bench/ when missing). Measures, best
# of 3: `mlfscope info` end to end, the in-process load (`graph --time`), `mlfscope graph -o
# x.svg` end to end; and ONNX Runtime session creation for the same model in the same run
# (onnxruntime-node from npm in build/node, median of 3, scripts/ort-session-time.js).
# Goals (DESIGN.md): load >= 10x faster than ORT session creation; SVG in under 3 s.
# Usage: sh scripts/bench-load.sh [path/to/mlfscope]
set -u
bin=${1:-build/mlfscope}
dir=build/bench
model=$dir/big-qdq.onnx
svg=$dir/big-qdq.svg
nodedir=build/node
mkdir -p "$dir"

if [ ! -f "$model" ]; then
    /usr/bin/python3 scripts/gen-big-qdq.py "$model" ||
        { echo "bench-load: cannot generate $model"; exit 1; }
fi

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
min() { if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }

info_ms=""
graph_ms=""
load_ms=""
render_ms=""
for i in 1 2 3; do
    t0=$(now_ms)
    "$bin" info "$model" > /dev/null || { echo "bench-load: mlfscope info failed"; exit 1; }
    t1=$(now_ms)
    info_ms=$(min "$info_ms" $((t1 - t0)))

    t0=$(now_ms)
    times=$("$bin" graph --time "$model" -o "$svg" 2>&1 >/dev/null) ||
        { echo "bench-load: mlfscope graph failed: $times"; exit 1; }
    t1=$(now_ms)
    graph_ms=$(min "$graph_ms" $((t1 - t0)))
    # "load-ms 143.4 view-ms 7.6 render-ms 831.2 ..." (hidden --time flag of graph)
    l=$(echo "$times" | awk '/^load-ms/ {printf "%d", $2 + 0.5}')
    r=$(echo "$times" | awk '/^load-ms/ {printf "%d", $6 + 0.5}')
    load_ms=$(min "$load_ms" "$l")
    render_ms=$(min "$render_ms" "$r")
done
layers=$(echo "$times" | awk '/^load-ms/ {print $8}')

ort_ms=""
ort_note=""
if ort_note=$(sh scripts/ort-install.sh); then
    out=$(node scripts/ort-session-time.js "$model" "$nodedir/node_modules" 3 2>&1)
    ort_ms=$(echo "$out" | awk '/^ort-session-ms/ {printf "%d", $2 + 0.5}')
    ort_ver=$(echo "$out" | awk '/^ort-version/ {print $2}')
    [ -n "$ort_ms" ] || ort_note="ort-session-time.js failed: $out"
fi

echo "model: $model ($(du -m "$model" | cut -f1) MB, $layers layers)"
printf '%-38s %10s\n' "measure (best of 3)" "ms"
printf '%-38s %10s\n' "mlfscope load (in process)" "$load_ms"
printf '%-38s %10s\n' "mlfscope info (end to end)" "$info_ms"
printf '%-38s %10s\n' "mlfscope graph -o x.svg (end to end)" "$graph_ms"
printf '%-38s %10s\n' "  of which layout + SVG render" "$render_ms"
status=0
if [ -n "$ort_ms" ]; then
    printf '%-38s %10s\n' "ORT $ort_ver session create (median)" "$ort_ms"
    ratio=$(awk -v a="$ort_ms" -v b="$load_ms" 'BEGIN {printf "%.1f", a / (b > 0 ? b : 1)}')
    ratio_info=$(awk -v a="$ort_ms" -v b="$info_ms" 'BEGIN {printf "%.1f", a / (b > 0 ? b : 1)}')
    ok=$(awk -v r="$ratio" 'BEGIN {print (r >= 10) ? "ok" : "MISSED"}')
    echo "load vs ORT session: ${ratio}x faster (info end to end: ${ratio_info}x); goal >= 10x: $ok"
    [ "$ok" = ok ] || status=1
else
    echo "ORT: skipped ($ort_note)"
fi
ok=$(awk -v t="$graph_ms" 'BEGIN {print (t < 3000) ? "ok" : "MISSED"}')
echo "SVG end to end: ${graph_ms} ms; goal < 3000 ms: $ok"
[ "$ok" = ok ] || status=1
exit $status
