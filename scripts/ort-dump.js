#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (onnxruntime-node) and writes every node output as .npy
// plus index.json, in the form `mlfscope run` writes, so the two can be compared tensor by
// tensor. Also measures ORT's own speed for scripts/bench-interp.sh.
//
// usage: ort-dump.js MODEL --input [NAME=]FILE ... -o DIR [--outputs] [--then MODEL ...]
//        ort-dump.js MODEL --input [NAME=]FILE ... --bench N      (prints JSON timings)
// `--then` starts another dump in the same process (scripts/ort-live.sh runs dozens: one
// process loads ORT and python once per model instead of once per dump).
// Inputs are .npy or ONNX TensorProto .pb (converted by scripts/ort-expose-all.py).
// Dumps run with graph optimizations disabled and one thread; --bench uses all optimizations
// and one thread. ORT is looked up in $ORT_NODE_DIR, then build/node/node_modules.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const here = __dirname;
const ortDir = process.env.ORT_NODE_DIR ||
    path.join(here, '..', 'build', 'node', 'node_modules', 'onnxruntime-node');
const ort = require(ortDir);
const ortVersion = require(path.join(ortDir, 'package.json')).version;
const python = process.env.PYTHON || '/usr/bin/python3';

const NPY_TO_DTYPE = {
    '<f4': 'float32', '|u1': 'uint8', '|i1': 'int8', '<i4': 'int32', '<i8': 'int64',
    '|b1': 'bool', '<f8': 'float64', '<i2': 'int16', '<u2': 'uint16', '<f2': 'float16',
};
const DTYPE_TO_NPY = Object.fromEntries(Object.entries(NPY_TO_DTYPE).map(([k, v]) => [v, k]));
const ARRAY_OF = {
    float32: Float32Array, uint8: Uint8Array, int8: Int8Array, int32: Int32Array,
    int64: BigInt64Array, bool: Uint8Array, float64: Float64Array, int16: Int16Array,
    uint16: Uint16Array,
};

function die(msg) {
    process.stderr.write(`ort-dump: ${msg}\n`);
    process.exit(2);
}

function readNpy(file) {
    const buf = fs.readFileSync(file);
    if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') die(`${file}: not a .npy file`);
    const major = buf[6];
    const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
    const hstart = major === 1 ? 10 : 12;
    const header = buf.toString('latin1', hstart, hstart + hlen);
    const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
    if (/'fortran_order':\s*True/.test(header)) die(`${file}: fortran order not supported`);
    const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
    const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s).map(Number);
    const dtype = NPY_TO_DTYPE[descr];
    if (!dtype) die(`${file}: dtype ${descr} not supported`);
    const start = hstart + hlen;
    const raw = buf.subarray(start);
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    const n = raw.length / ARRAY_OF[dtype].BYTES_PER_ELEMENT;
    const data = new ARRAY_OF[dtype](copy.buffer, 0, n);
    return { dtype, shape, data };
}

function writeNpy(file, dtype, shape, data) {
    const descr = DTYPE_TO_NPY[dtype];
    if (!descr) die(`${file}: cannot write dtype ${dtype}`);
    const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
    const total = 10 + header.length + 1;
    header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
    const pre = Buffer.alloc(10);
    pre.write('\x93NUMPY', 0, 'latin1');
    pre[6] = 1;
    pre[7] = 0;
    pre.writeUInt16LE(header.length, 8);
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

function safeName(name) {
    return name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80);
}

function parseJobs(argv) {
    const jobs = [[]];
    for (const s of argv) {
        if (s === '--then') jobs.push([]);
        else jobs[jobs.length - 1].push(s);
    }
    return jobs.map(parseArgs);
}

function parseArgs(argv) {
    const a = { inputs: [], out: null, bench: 0, outputsOnly: false, model: null };
    for (let i = 0; i < argv.length; i++) {
        const s = argv[i];
        if (s === '--input' || s === '-i') a.inputs.push(argv[++i]);
        else if (s === '-o') a.out = argv[++i];
        else if (s === '--bench') a.bench = Number(argv[++i]);
        else if (s === '--outputs') a.outputsOnly = true;
        else if (s.startsWith('-')) die(`unknown option ${s}`);
        else if (!a.model) a.model = s;
        else die(`unexpected argument ${s}`);
    }
    if (!a.model || (!a.out && !a.bench)) {
        die('usage: ort-dump.js MODEL --input [NAME=]FILE ... (-o DIR | --bench N)');
    }
    return a;
}

function loadInputs(specs, inputNames, tmp) {
    const feeds = {};
    const files = [];
    const pbs = [];  // .pb inputs, converted by one python call: IN OUT IN OUT ...
    specs.forEach((spec, k) => {
        let name = null;
        let file = spec;
        const eq = spec.indexOf('=');
        if (eq > 0 && !fs.existsSync(spec)) {
            name = spec.slice(0, eq);
            file = spec.slice(eq + 1);
        }
        if (name === null) {
            if (k >= inputNames.length) die(`${file}: more inputs than the model has`);
            name = inputNames[k];
        }
        if (file.endsWith('.pb')) {
            const npy = path.join(tmp, `in${k}.npy`);
            pbs.push(file, npy);
            file = npy;
        }
        files.push([name, file]);
    });
    if (pbs.length) {
        execFileSync(python, [path.join(here, 'ort-expose-all.py'), '--pb-to-npy', ...pbs]);
    }
    for (const [name, file] of files) {
        const t = readNpy(file);
        feeds[name] = new ort.Tensor(t.dtype, t.data, t.shape);
    }
    return feeds;
}

function median(xs) {
    const s = [...xs].sort((x, y) => x - y);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function bench(a, tmp) {
    const opts = { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1,
                   executionMode: 'sequential' };
    const t0 = process.hrtime.bigint();
    const sess = await ort.InferenceSession.create(a.model, opts);
    const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const feeds = loadInputs(a.inputs, sess.inputNames, tmp);
    await sess.run(feeds);  // warm-up, as our bench does
    const times = [];
    for (let i = 0; i < a.bench; i++) {
        const t = process.hrtime.bigint();
        await sess.run(feeds);
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    process.stdout.write(JSON.stringify({ ort_version: ortVersion, load_ms: loadMs,
        run_ms_median: median(times), runs: a.bench }) + '\n');
}

async function dump(a, tmp, exposed) {
    let modelPath = a.model;
    let nodes = null;
    if (!a.outputsOnly) {
        if (!exposed.has(a.model)) {  // the same model dumped again (other inputs): reuse
            const n = exposed.size;
            const idx = path.join(tmp, `nodes${n}.json`);
            const p = path.join(tmp, `exposed${n}.onnx`);
            execFileSync(python, [path.join(here, 'ort-expose-all.py'), a.model, p, idx]);
            exposed.set(a.model, { p, nodes: JSON.parse(fs.readFileSync(idx, 'utf8')).nodes });
        }
        ({ p: modelPath, nodes } = exposed.get(a.model));
    }
    const opts = { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1,
                   interOpNumThreads: 1, executionMode: 'sequential' };
    const sess = await ort.InferenceSession.create(modelPath, opts);
    const feeds = loadInputs(a.inputs, sess.inputNames, tmp);
    const results = await sess.run(feeds);
    if (!nodes) nodes = sess.outputNames.map((o) => ({ name: o, op: null, outputs: [o] }));
    fs.mkdirSync(a.out, { recursive: true });
    const arith = `ort-${ortVersion}`;
    const tensors = [];
    for (const n of nodes) {
        for (const o of n.outputs) {
            const t = results[o];
            if (!t) continue;
            const index = tensors.length;
            const file = `${String(index).padStart(4, '0')}_${safeName(o)}.npy`;
            writeNpy(path.join(a.out, file), t.type, t.dims.map(Number), t.data);
            tensors.push({ index, name: o, layer: n.name, op: n.op, dtype: t.type,
                           shape: t.dims.map(Number), file, arith });
        }
    }
    const index = { model: path.basename(a.model), arith, tensors };
    fs.writeFileSync(path.join(a.out, 'index.json'), JSON.stringify(index, null, 1) + '\n');
}

async function main() {
    const jobs = parseJobs(process.argv.slice(2));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-dump-'));
    const exposed = new Map();  // model path -> { p: exposed model, nodes }
    try {
        for (const a of jobs) {
            if (a.bench) await bench(a, tmp);
            else await dump(a, tmp, exposed);
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

main().catch((e) => die(e.message || String(e)));
