#!/bin/sh
# Fails when a file includes a header from a higher layer (STYLE.md 1):
#   0 base (src/{mem,arena,errbuf,sbuf,fileio,banned,jsonw}, ref/)   1 dump/, graph, loaders
#   2 interp, map, offload, diff   3 views/   4 main.c, cmd_*.c
# A file in src/ whose layer is unknown is an error too: add it to layer_of below.
set -eu
layer_of() {
    case "$1" in
    src/main.c|src/cmd*) echo 4 ;;
    views/*) echo 3 ;;
    src/interp*|src/map*|src/offload*|src/diff*|src/exec*|src/twin*|src/instrument*) echo 2 ;;
    dump/*|src/graph*|src/trace*|src/onnx*|src/tflite*|src/flatbuf*|src/mlf*|src/shape*|src/model*|src/layers*|src/tensorfile*) echo 1 ;;
    src/mem*|src/arena*|src/errbuf*|src/sbuf*|src/fileio*|src/banned*|src/jsonw*|src/json*|src/crc*|src/base64*|ref/*) echo 0 ;;
    build/gen/*) echo 1 ;;
    *) echo unknown ;;
    esac
}
status=0
for f in $(find src ref dump views -name '*.[ch]' | sort); do
    mine=$(layer_of "$f")
    if [ "$mine" = unknown ]; then
        echo "check-layers: $f: no layer assigned (edit scripts/check-layers.sh)"
        status=1
        continue
    fi
    dir=$(dirname "$f")
    for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
        target=$(cd "$dir" && realpath -m --relative-to="$OLDPWD" "$inc" 2>/dev/null || echo "$inc")
        [ -f "$target" ] || continue
        theirs=$(layer_of "$target")
        [ "$theirs" = unknown ] && continue
        if [ "$theirs" -gt "$mine" ]; then
            echo "check-layers: $f (layer $mine) includes $target (layer $theirs)"
            status=1
        fi
    done
done
[ $status = 0 ] && echo "check-layers: ok"
exit $status
