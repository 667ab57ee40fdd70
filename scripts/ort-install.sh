#!/bin/sh
# Makes ONNX Runtime (npm onnxruntime-node, with --ignore-scripts: its install script tries a
# download that fails here; the CPU library ships inside the package) available under
# build/node for the benchmarks and scripts that compare against it.
# Prints nothing and exits 0 when it is there; otherwise one line saying why not, exit 1.
set -u
nodedir=build/node
[ -d "$nodedir/node_modules/onnxruntime-node" ] && exit 0
if ! command -v node > /dev/null 2>&1 || ! command -v npm > /dev/null 2>&1; then
    echo "node and npm are not installed"
    exit 1
fi
mkdir -p "$nodedir"
if ! timeout 600 npm install --prefix "$nodedir" --ignore-scripts --no-audit --no-fund \
        onnxruntime-node > "$nodedir/npm-install.log" 2>&1; then
    echo "npm install onnxruntime-node failed (see $nodedir/npm-install.log)"
    exit 1
fi
