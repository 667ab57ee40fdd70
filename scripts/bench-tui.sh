#!/bin/sh
# TUI start-up: time from launching `mlfscope tui` in a tmux pane until its first frame
# (the layer count in the title bar) is on screen, for generated models of 1,000 and 10,000
# layers, then after G (jump to the last layer); then with a background reference run
# (--input): the first frame, and the time until the run is done. Includes tmux's own
# start-up; the requirement is "well under a second" to the first frame for 1,000 layers.
# Usage: bench-tui.sh BINARY
set -eu
bin=${1:-build/mlfscope}
sock="mlfscope-bench-$$"
now_ms() { date +%s%3N; }
wait_for() {    # wait_for TEXT: polls the pane for up to 10 s
    i=0
    while [ $i -lt 2000 ]; do
        tmux -L "$sock" capture-pane -p -t b 2>/dev/null | grep -qF -- "$1" && return 0
        i=$((i + 1))
        sleep 0.005
    done
    echo "bench-tui: '$1' never appeared" >&2
    return 1
}
command -v tmux >/dev/null || { echo "bench-tui: tmux not installed"; exit 1; }
for n in 1000 10000; do
    t0=$(now_ms)
    tmux -L "$sock" -f /dev/null new-session -d -s b -x 120 -y 40 "$bin tui --synthetic $n"
    wait_for "$n layers"
    t1=$(now_ms)
    tmux -L "$sock" send-keys -t b G
    wait_for " $n/$n "
    t2=$(now_ms)
    tmux -L "$sock" send-keys -t b q
    tmux -L "$sock" kill-server 2>/dev/null || true
    echo "tui --synthetic $n: first frame $((t1 - t0)) ms, G to last layer $((t2 - t1)) ms"
done
in="${TMPDIR:-/tmp}/mlfscope-bench-tui-$$.bin"
head -c 2048 /dev/zero | tr '\0' '\1' >"$in"
for n in 1000 10000; do
    t0=$(now_ms)
    tmux -L "$sock" -f /dev/null new-session -d -s b -x 120 -y 40 \
        "$bin tui --synthetic $n --input $in --input-dtype int8"
    wait_for "$n layers"
    t1=$(now_ms)
    wait_for "reference run done"
    t2=$(now_ms)
    tmux -L "$sock" send-keys -t b q
    tmux -L "$sock" kill-server 2>/dev/null || true
    echo "tui --synthetic $n --input: first frame $((t1 - t0)) ms, run done after $((t2 - t0)) ms"
done
rm -f "$in"
