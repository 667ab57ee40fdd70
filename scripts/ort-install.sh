#!/bin/sh
# Makes ONNX Runtime (npm onnxruntime-node, with --ignore-scripts: its install script tries a
# download that fails here; the CPU library ships inside the package) available under
# build/node for the benchmarks and scripts that compare against it.
# Prints nothing and exits 0 when it is there; otherwise one line saying why not, exit 1.
# The version is pinned (ORT_VERSION overrides it) so that a new ONNX Runtime release cannot
# change what `make test` compares against on a clean clone; the goldens were made with it.
set -u
nodedir=build/node
version=${ORT_VERSION:-1.30.0}
[ -d "$nodedir/node_modules/onnxruntime-node" ] && exit 0
if ! command -v node > /dev/null 2>&1 || ! command -v npm > /dev/null 2>&1; then
    echo "node and npm are not installed"
    exit 1
fi
mkdir -p "$nodedir"
if ! timeout 600 npm install --prefix "$nodedir" --ignore-scripts --no-audit --no-fund \
        "onnxruntime-node@$version" > "$nodedir/npm-install.log" 2>&1; then
    echo "npm install onnxruntime-node@$version failed (see $nodedir/npm-install.log)"
    exit 1
fi
