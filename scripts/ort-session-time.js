// Times ONNX Runtime session creation (onnxruntime-node, CPU) for one model: prints the
// median of N InferenceSession.create calls in milliseconds, as "ort-session-ms <median>".
// Usage: node scripts/ort-session-time.js MODEL.onnx [NODE_MODULES_DIR] [N]
// onnxruntime-node is installed by scripts/ort-install.sh into build/node (npm install
// --ignore-scripts): the CPU binding and libonnxruntime.so.1 ship inside the package
// (bin/napi-v6/linux/x64, found through the binding's $ORIGIN runpath).
'use strict';
const path = require('path');

async function main() {
    const model = process.argv[2];
    const dir = path.resolve(process.argv[3] || 'build/node/node_modules');
    const n = parseInt(process.argv[4] || '3', 10);
    if (!model) {
        console.error('usage: node ort-session-time.js MODEL.onnx [NODE_MODULES_DIR] [N]');
        process.exit(2);
    }
    const ort = require(require.resolve('onnxruntime-node', { paths: [dir] }));
    const times = [];
    for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        const session = await ort.InferenceSession.create(model);
        const t1 = process.hrtime.bigint();
        times.push(Number(t1 - t0) / 1e6);
        await session.release();
    }
    times.sort((a, b) => a - b);
    console.log(`ort-session-ms ${times[Math.floor(times.length / 2)].toFixed(1)}`);
    console.log(`ort-version ${require(require.resolve('onnxruntime-node/package.json',
        { paths: [dir] })).version}`);
}

main().catch((e) => {
    console.error(`ort-session-time: ${e.message}`);
    process.exit(1);
});
