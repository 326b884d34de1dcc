#!/usr/bin/env node
/*
 * SE-ResNet-50 and SE-ResNeXt-50 (224x224, batch 1, random weights from our generator) on the wasm
 * backend: the converted GraphModel (through the runtime, as `senet bench` runs it) against a
 * hand-written tfjs-core forward pass of the same net with the same folded arithmetic, in the same
 * run. Needs `npm run build` first.
 *
 *   node bench/inference-wasm.js [--runs R] [--warmup W] [--only se-resnet-50] [--profile] [--check]
 *
 * Per model:
 *  1. one thread, converted, hand-written and a "literal" hand-written copy of the converted op
 *     sequence in rotation, run by run (load drifts hit them alike): wall and CPU-time medians and
 *     the ratios; the nets' logits are compared first (--check: block by block); --profile:
 *     per-kernel times of each (which ops cost what, and the time outside kernels);
 *  2. converted with 1 and 2 workers (benchModel, i.e. `senet bench --workers N`): images/s ratio;
 *  3. hand-written with 2 workers (worker threads of this file), beside the converted 2-worker figure.
 * Weights and converted models are cached in os.tmpdir()/senet-bench-inference (keyed by the
 * prototxt, the seed and the compiled converter, so a changed converter gets a fresh conversion).
 * The machine may be shared: the load average is printed with every phase, CPU time beside wall
 * time (CPU time does not count the time other processes had the core), and the cores the
 * process actually obtained in the worker phases.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

const { DIST, nowMs, loadavg: load, buildNet: buildNetOf, prepareModel } = require('./lib/models');
const { readCaffemodel } = require(path.join(DIST, 'caffemodel'));
const { initBackend, loadModel, runModel, benchModel, randomInput, median } = require(path.join(DIST, 'runtime'));

const MODELS = ['se-resnet-50', 'se-resnext-50'];
const SIZE = 224;
const SEED = 1;

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const buildNet = (id) => buildNetOf(id, SIZE);

// ---------------------------------------------------------------------------------------------
// The hand-written net: what a careful tfjs user writes for an SE bottleneck ResNet(X) with BN
// folded into the convolutions (fused conv + bias + ReLU), 'same' max pooling where it matches
// Caffe's ceil-mode output, the SE FCs as fused matMuls on [N, C], and grouped 3x3 convs as one
// depthwise conv with a channel multiplier followed by a sum over each group's input channels.
// Conv hyper-parameters (kernel, stride, pad, group) are read from the prototxt; the block
// structure is written out here.

/** Folded conv (+ BatchNorm + Scale) of layer `name`: HWIO filter (or depthwise form) and bias. */
function foldedConv(tf, layers, weights, name) {
  const p = layers.get(name).convolution_param;
  const [w, convBias] = weights.get(name);
  const [O, Ig, kh, kw] = w.shape;
  const scale = new Float32Array(O).fill(1);
  const bias = new Float32Array(O);
  if (convBias) bias.set(convBias.data);
  const bn = weights.get(`${name}/bn`);
  if (bn) {
    const f = bn[2].data[0] === 0 ? 0 : 1 / bn[2].data[0];
    const eps = layers.get(`${name}/bn`).batch_norm_param.eps ?? 1e-5;
    const [gamma, beta] = weights.get(`${name}/bn/scale`);
    for (let o = 0; o < O; o++) {
      const s = gamma.data[o] / Math.sqrt(bn[1].data[o] * f + eps);
      bias[o] = (bias[o] - bn[0].data[o] * f) * s + beta.data[o];
      scale[o] = s;
    }
  }
  const group = p.group ?? 1;
  const pad = (p.pad ?? [0])[0] ?? 0;
  const stride = (p.stride ?? [1])[0] ?? 1;
  let filter;
  if (group === 1) {
    const hwio = new Float32Array(kh * kw * Ig * O);
    for (let o = 0; o < O; o++) for (let i = 0; i < Ig; i++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
      hwio[((y * kw + x) * Ig + i) * O + o] = w.data[((o * Ig + i) * kh + y) * kw + x] * scale[o];
    }
    filter = tf.tensor4d(hwio, [kh, kw, Ig, O]);
  } else {
    // Depthwise filter [kh, kw, C, M]: input channel c = g*Ig + i, multiplier m -> output g*M + m.
    const M = O / group;
    const C = Ig * group;
    const dw = new Float32Array(kh * kw * C * M);
    for (let g = 0; g < group; g++) for (let i = 0; i < Ig; i++) for (let m = 0; m < M; m++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
      const o = g * M + m;
      dw[((y * kw + x) * C + g * Ig + i) * M + m] = w.data[((o * Ig + i) * kh + y) * kw + x] * scale[o];
    }
    filter = tf.tensor4d(dw, [kh, kw, C, M]);
  }
  return { filter, bias: tf.tensor1d(bias), stride, pad, group, Ig, O };
}

/** Plain fully connected (1x1 conv or InnerProduct) as [in, out] matrix + bias. */
function fc(tf, weights, name) {
  const [w, b] = weights.get(name);
  const O = w.shape[0];
  const I = w.data.length / O;
  const m = new Float32Array(I * O);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) m[i * O + o] = w.data[o * I + i];
  return { w: tf.tensor2d(m, [I, O]), b: tf.tensor1d(b.data) };
}

/**
 * `literal` = true: the same net written op for op as the converted graph is (Conv2D, then a
 * separate bias add and ReLU; PadV2 + VALID max pool; the SE FCs as 1x1 convs on [N,1,1,C]), to
 * tell the cost of the graph's formulation from the cost of executing a GraphModel.
 */
function makeHandNet(tf, net, model, literal = false) {
  const layers = new Map(net.layer.map((l) => [l.name, l]));
  const weights = new Map(model.layers.filter((l) => l.blobs.length > 0).map((l) => [l.name, l.blobs]));
  const conv = (name) => foldedConv(tf, layers, weights, name);
  const stem = conv('conv1/7x7_s2');
  const pool1 = layers.get('pool1/3x3_s2').pooling_param;
  const blocks = [];
  for (let s = 2; s <= 5; s++) {
    for (let b = 1; layers.has(`conv${s}_${b}_1x1_reduce`); b++) {
      const p = `conv${s}_${b}`;
      blocks.push({
        reduce: conv(`${p}_1x1_reduce`), mid: conv(`${p}_3x3`), increase: conv(`${p}_1x1_increase`),
        down: fc(tf, weights, `${p}_1x1_down`), up: fc(tf, weights, `${p}_1x1_up`),
        proj: layers.has(`${p}_1x1_proj`) ? conv(`${p}_1x1_proj`) : undefined,
      });
    }
  }
  const classifier = fc(tf, weights, 'classifier');

  const act = (y, activation) => (activation === 'relu' ? tf.relu(y) : activation === 'sigmoid' ? tf.sigmoid(y) : y);
  const convOp = (x, c, activation) => {
    if (c.group === 1) {
      if (literal) {
        const pad = c.pad === 0 ? 'valid' : [[0, 0], [c.pad, c.pad], [c.pad, c.pad], [0, 0]];
        return act(tf.add(tf.conv2d(x, c.filter, c.stride, pad), c.bias), activation);
      }
      return tf.fused.conv2d({ x, filter: c.filter, strides: c.stride, pad: c.pad, bias: c.bias, activation });
    }
    const [n] = x.shape;
    const y = tf.depthwiseConv2d(x, c.filter, c.stride, c.pad);
    const [, h, w] = y.shape;
    const summed = tf.sum(tf.reshape(y, [n, h, w, c.group, c.Ig, c.O / c.group]), 4);
    return act(tf.add(tf.reshape(summed, [n, h, w, c.O]), c.bias), activation);
  };
  const fcOp = (a, f, activation) => {
    if (!literal) return tf.fused.matMul({ a, b: f.w, bias: f.b, activation });
    const [I, O] = f.w.shape;
    const y = tf.conv2d(tf.reshape(a, [a.shape[0], 1, 1, I]), tf.reshape(f.w, [1, 1, I, O]), 1, 'valid');
    return tf.reshape(act(tf.add(y, f.b), activation), [a.shape[0], O]);
  };

  /**
   * NCHW input (as the runtime takes it) -> logits and class probabilities [N, classes]; with
   * `tapBlocks` = k, the NHWC output of the k-th block instead (0: pool1), for checking.
   */
  return function forward(nchw, tapBlocks) {
    let x = tf.transpose(nchw, [0, 2, 3, 1]);
    x = convOp(x, stem, 'relu');
    // Caffe's ceil-mode 3x3/2 max pool on an even size = TF 'same' (the one extra row/column at the end).
    const k = pool1.kernel_size;
    const st = pool1.stride;
    const caffeOut = Math.ceil((x.shape[1] - k) / st) + 1;
    if (caffeOut !== Math.ceil(x.shape[1] / st) || (pool1.pad ?? 0) !== 0) throw new Error('pool1: SAME padding does not reproduce Caffe here');
    if (literal) {
      const extra = (caffeOut - 1) * st + k - x.shape[1];
      x = tf.maxPool(tf.pad(x, [[0, 0], [0, extra], [0, extra], [0, 0]], -3.4e38), k, st, 'valid');
    } else {
      x = tf.maxPool(x, k, st, 'same');
    }
    for (const [i, b] of blocks.entries()) {
      if (tapBlocks === i) return { tap: x };
      let y = convOp(x, b.reduce, 'relu');
      y = convOp(y, b.mid, 'relu');
      y = convOp(y, b.increase, 'linear');
      const [n, , , c] = y.shape;
      let se = tf.mean(y, [1, 2]);
      se = fcOp(se, b.down, 'relu');
      se = fcOp(se, b.up, 'sigmoid');
      const shortcut = b.proj ? convOp(x, b.proj, 'linear') : x;
      x = tf.relu(tf.add(tf.mul(y, tf.reshape(se, [n, 1, 1, c])), shortcut));
    }
    if (tapBlocks === blocks.length) return { tap: x };
    const pooled = tf.mean(x, [1, 2]);
    const logits = tf.fused.matMul({ a: pooled, b: classifier.w, bias: classifier.b });
    return { logits, prob: tf.softmax(logits) };
  };
}

/** Runs the hand-written net on a host NCHW array; returns host probabilities (and logits). */
function runHand(tf, forward, input) {
  const out = tf.tidy(() => {
    const r = forward(tf.tensor(input.data, input.shape, 'float32'));
    return [r.logits, r.prob];
  });
  const logits = out[0].dataSync().slice();
  const prob = out[1].dataSync().slice();
  out.forEach((t) => t.dispose());
  return { logits, prob };
}

/** The hand-written net's NHWC output after `k` blocks, as NCHW host data. */
function tapHand(tf, forward, input, k) {
  const t = tf.tidy(() => tf.transpose(forward(tf.tensor(input.data, input.shape, 'float32'), k).tap, [0, 3, 1, 2]));
  const data = t.dataSync().slice();
  t.dispose();
  return data;
}

// ---------------------------------------------------------------------------------------------
// Worker side: the hand-written net in a worker thread (its own tfjs-core and wasm instance).

async function workerMain() {
  const { id, caffemodel, runs, warmup } = workerData;
  const info = await initBackend('wasm');
  const net = buildNet(id);
  const forward = makeHandNet(info.tf, net, readCaffemodel(caffemodel));
  const input = randomInput([1, 3, SIZE, SIZE], SEED);
  for (let i = 0; i < warmup; i++) runHand(info.tf, forward, input);
  parentPort.postMessage({ type: 'warm' });
  parentPort.once('message', () => {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t = nowMs();
      runHand(info.tf, forward, input);
      times.push(nowMs() - t);
    }
    parentPort.postMessage({ type: 'done', times });
  });
}

/** Hand-written net on `n` worker threads started together: images/s with all of them busy. */
async function handWorkers(id, caffemodel, n, runs, warmup) {
  const workers = Array.from({ length: n }, () => new Worker(__filename, { workerData: { id, caffemodel, runs, warmup } }));
  const next = (w) => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  try {
    await Promise.all(workers.map(next));
    const c0 = process.cpuUsage();
    const t0 = nowMs();
    const done = workers.map(next);
    workers.forEach((w) => w.postMessage('go'));
    const replies = await Promise.all(done);
    const wall = nowMs() - t0;
    const cpu = process.cpuUsage(c0);
    const times = replies.flatMap((r) => r.times);
    return { ms: median(times), images_per_s: (times.length * 1000) / wall, cpu_cores: (cpu.user + cpu.system) / 1000 / wall };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// Main side.

/** Cached caffemodel and converted model folder of one architecture (bench/lib/models.js). */
const prepare = (id) => prepareModel(id, { size: SIZE, seed: SEED });

/** Op counts of the converted graph (what the executor runs per image). */
function opCounts(modelDir) {
  const mj = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
  const counts = {};
  for (const n of mj.modelTopology.node) if (n.op !== 'Const') counts[n.op] = (counts[n.op] ?? 0) + 1;
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
}

function variants_(loaded, tf, forward, literal, input) {
  return {
    converted: () => runModel(loaded, input),
    hand: () => runHand(tf, forward, input),
    literal: () => runHand(tf, literal, input),
  };
}

/**
 * Per-kernel time (tf.profile; wasm kernels are synchronous, so a kernel's time is its wall time):
 * where the time goes, and how much of a run is outside kernels (graph execution, bookkeeping).
 * Each variant is profiled `rounds` times in rotation and every kernel call keeps its smallest
 * time over the rounds (the calls come in the same order each run), as preemption by other
 * processes only ever adds time.
 */
async function profile(tf, variants, rounds = 5) {
  const names = Object.keys(variants);
  const best = new Map(names.map((n) => [n, { wall: Infinity, calls: undefined }]));
  for (const n of names) variants[n]();
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const t = nowMs();
      const info = await tf.profile(() => {
        variants[n]();
      });
      const wall = nowMs() - t;
      // tfjs-core's op wrappers ('conv2d__op') are listed besides the kernels they call.
      const calls = info.kernels
        .filter((k) => !k.name.endsWith('__op'))
        .map((k) => ({ name: k.name, ms: typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0 }));
      const b = best.get(n);
      b.wall = Math.min(b.wall, wall);
      if (b.calls === undefined) b.calls = calls;
      else calls.forEach((c, i) => (b.calls[i].ms = Math.min(b.calls[i].ms, c.ms)));
    }
  }
  for (const [n, b] of best) {
    const by = new Map();
    for (const c of b.calls) {
      const e = by.get(c.name) ?? { n: 0, ms: 0 };
      e.n++;
      e.ms += c.ms;
      by.set(c.name, e);
    }
    const total = b.calls.reduce((s, c) => s + c.ms, 0);
    const top = [...by.entries()].sort((x, y) => y[1].ms - x[1].ms).map(([k, e]) => `${k} ${e.n}x ${e.ms.toFixed(1)}`).join(', ');
    console.log(`  profile ${n} (per-call min of ${rounds}): ${b.calls.length} kernels, ${total.toFixed(1)} ms in kernels, run ${b.wall.toFixed(1)} ms (min); ${top}`);
  }
}

async function main() {
  const runs = Number(arg('runs', 6));
  const warmup = Number(arg('warmup', 2));
  const only = arg('only');
  const info = await initBackend('wasm');
  const tf = info.tf;
  console.log(`backend ${info.name}, ${os.cpus().length} cores, batch 1, ${SIZE}x${SIZE}, ${runs} timed runs after ${warmup} warm-up; load average ${load()}`);
  const summary = [];
  for (const id of MODELS.filter((m) => only === undefined || m === only)) {
    console.log(`\n${id}`);
    const { net, caffemodel, modelDir } = prepare(id);
    console.log(`  converted graph ops: ${opCounts(modelDir)}`);
    const loaded = await loadModel(modelDir);
    const input = randomInput([1, 3, SIZE, SIZE], SEED);

    const model = readCaffemodel(caffemodel);
    const forward = makeHandNet(tf, net, model);
    const literal = makeHandNet(tf, net, model, true);

    // Same net? Compare logits (relative to their peak). With uncalibrated random weights the
    // activations grow block by block and so do float32 rounding differences; --check prints
    // every block (about 1e-6 relative at the first, growing steadily without a jump).
    const logitDiff = (h) => {
      const c = runModel(loaded, input, { outputs: ['classifier'] }).classifier.data;
      let d = 0;
      let pk = 0;
      for (let i = 0; i < c.length; i++) {
        d = Math.max(d, Math.abs(c[i] - h[i]));
        pk = Math.max(pk, Math.abs(c[i]));
      }
      return `${(d / pk).toExponential(1)}`;
    };
    console.log(
      `  logits vs converted, max |diff| / peak: hand-written ${logitDiff(runHand(tf, forward, input).logits)}, ` +
        `hand-written literal ${logitDiff(runHand(tf, literal, input).logits)}`,
    );
    if (process.argv.includes('--check')) {
      // Block by block: where (if anywhere) the two nets part.
      const names = ['pool1/3x3_s2'];
      for (let s = 2; s <= 5; s++) for (let b = 1; net.layer.some((l) => l.name === `conv${s}_${b}_1x1_reduce`); b++) names.push(`conv${s}_${b}`);
      for (let k = 0; k < names.length; k++) {
        const c = runModel(loaded, input, { outputs: [names[k]] })[names[k]].data;
        const h = tapHand(tf, forward, input, k);
        let d = 0;
        let pk = 0;
        for (let i = 0; i < c.length; i++) {
          d = Math.max(d, Math.abs(c[i] - h[i]));
          pk = Math.max(pk, Math.abs(c[i]));
        }
        console.log(`    ${names[k]}: max diff ${d.toExponential(2)}, peak ${pk.toExponential(2)}, relative ${(d / pk).toExponential(1)}`);
      }
    }

    if (process.argv.includes('--profile')) await profile(tf, variants_(loaded, tf, forward, literal, input));

    // 1. One thread, the three in rotation (load drifts hit them alike).
    const variants = variants_(loaded, tf, forward, literal, input);
    const order = Object.keys(variants);
    for (let i = 0; i < warmup; i++) for (const k of order) variants[k]();
    // Wall time and this process's CPU time per run: on a shared machine the wall time also
    // counts the time other processes had the core; the CPU time (one busy thread here) does not.
    const t1 = { converted: [], hand: [], literal: [] };
    const cpu1 = { converted: [], hand: [], literal: [] };
    const l1 = load();
    for (let i = 0; i < runs; i++) {
      for (let j = 0; j < order.length; j++) {
        const k = order[(i + j) % order.length];
        const c = process.cpuUsage();
        const t = nowMs();
        variants[k]();
        t1[k].push(nowMs() - t);
        const dc = process.cpuUsage(c);
        cpu1[k].push((dc.user + dc.system) / 1000);
      }
    }
    loaded.model.dispose();
    const c1 = median(t1.converted);
    const h1 = median(t1.hand);
    const lit1 = median(t1.literal);
    const cc = median(cpu1.converted);
    const ch = median(cpu1.hand);
    const cl = median(cpu1.literal);
    const mn = (k) => Math.min(...t1[k]);
    const fmt = (k) => `wall ${median(t1[k]).toFixed(1)} ms/image (min ${mn(k).toFixed(1)}), cpu ${median(cpu1[k]).toFixed(1)} ms`;
    console.log(`  1 thread, rotating [load ${l1}]:`);
    console.log(`    converted            ${fmt('converted')}`);
    console.log(`    hand-written         ${fmt('hand')}`);
    console.log(`    hand-written literal ${fmt('literal')}`);
    console.log(
      `    converted/hand-written: cpu ${(cc / ch).toFixed(3)}x, wall median ${(c1 / h1).toFixed(3)}x, wall min ${(mn('converted') / mn('hand')).toFixed(3)}x (target <= 1.10); ` +
        `literal/hand-written cpu ${(cl / ch).toFixed(3)}x; converted/literal cpu ${(cc / cl).toFixed(3)}x`,
    );

    // 2. Converted through benchModel with 1 and 2 workers.
    const b1 = await benchModel({ modelDir, workers: 1, runs, warmup, backend: 'wasm' });
    const b2 = await benchModel({ modelDir, workers: 2, runs, warmup, backend: 'wasm' });
    console.log(
      `  converted, senet bench: 1 worker ${b1.ms_per_image.toFixed(1)} ms/image, ${b1.images_per_s.toFixed(2)} images/s, cores busy ${b1.cpu_cores.toFixed(2)} [load ${b1.loadavg.toFixed(2)}]; ` +
        `2 workers ${b2.ms_per_image.toFixed(1)} ms/image, ${b2.images_per_s.toFixed(2)} images/s, cores busy ${b2.cpu_cores.toFixed(2)} [load ${b2.loadavg.toFixed(2)}]; ` +
        `2/1 workers ${(b2.images_per_s / b1.images_per_s).toFixed(2)}x (target >= 1.7x)`,
    );
    // What 2 workers would give on two otherwise idle cores if CPU time per image stays as measured.
    const idle2 = (2 * b1.cpu_ms_per_image) / b2.cpu_ms_per_image;
    console.log(
      `    cpu per image: 1 worker ${b1.cpu_ms_per_image.toFixed(1)} ms, 2 workers ${b2.cpu_ms_per_image.toFixed(1)} ms ` +
        `-> 2/1 workers on idle cores about ${idle2.toFixed(2)}x (ignores memory-bandwidth sharing)`,
    );

    // 3. Hand-written with 2 workers.
    const l3 = load();
    const h2 = await handWorkers(id, caffemodel, 2, runs, warmup);
    const h1ips = 1000 / h1;
    console.log(
      `  hand-written, 2 workers: ${h2.ms.toFixed(1)} ms/image, ${h2.images_per_s.toFixed(2)} images/s ` +
        `cores busy ${h2.cpu_cores.toFixed(2)} (2/1 workers ${(h2.images_per_s / h1ips).toFixed(2)}x); ` +
        `converted/hand-written time at 2 workers ${(h2.images_per_s / b2.images_per_s).toFixed(3)}x [load ${l3}]`,
    );
    summary.push({ id, oneThread: cc / ch, oneThreadWall: c1 / h1, literal: cl / ch, twoWorkers: h2.images_per_s / b2.images_per_s, scaling: b2.images_per_s / b1.images_per_s, idle2 });
  }
  console.log('\nsummary (converted/hand-written time, 1.00 = equal; target <= 1.10):');
  for (const s of summary) {
    console.log(`  ${s.id}: 1 thread cpu ${s.oneThread.toFixed(3)}x, wall ${s.oneThreadWall.toFixed(3)}x (literal/hand-written cpu ${s.literal.toFixed(3)}x), 2 workers ${s.twoWorkers.toFixed(3)}x; converted 2/1 workers ${s.scaling.toFixed(2)}x (idle-core estimate ${s.idle2.toFixed(2)}x)`);
  }
  console.log(`load average at the end: ${load()}`);
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
} else {
  workerMain().catch((e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
}
