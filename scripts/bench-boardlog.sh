#!/bin/sh
# Board-log parse speed against the 200 MB/s goal (DESIGN.md). $1 is the mlfscope binary;
# the benchmark program sits next to it (the Makefile builds $(BUILD)/bench_boardlog). It
# writes a ~100 MB log with the firmware emitter, times the parser, and removes the log.
set -eu
bin=${1:-build/mlfscope}
dir=$(dirname "$bin")
bench="$dir/bench_boardlog"
if [ ! -x "$bench" ]; then
    echo "bench-boardlog: $bench not built (make $bench)"
    exit 1
fi
log="$dir/bench-boardlog.log"
rm -f "$log"
status=0
"$bench" "$log" "${BOARDLOG_BENCH_MB:-100}" || status=$?
rm -f "$log"
exit $status
