#!/bin/sh
# Installs the Debian packages that building and testing mlfscope need, when missing.
# Runs apt-get as root, or through sudo otherwise. Safe to run again: it only installs
# what dpkg does not already report as installed.
set -eu
packages="gcc make pkg-config libprotobuf-c-dev protobuf-c-compiler libncurses-dev
libgraphviz-dev graphviz libcjson-dev libarchive-dev zlib1g-dev clang libclang-rt-14-dev
socat tmux python3-onnx python3-numpy xz-utils"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "mlfscope: installing missing packages:$missing"
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
