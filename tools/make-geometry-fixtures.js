#!/usr/bin/env node
/*
 * Makes the geometry fixture grid under test/fixtures/geometry/<case>/ (see SOURCE.md there):
 * small nets whose layers differ only in window geometry (pooling kernel/stride/pad with ceil
 * overhang and pad clip, windows wholly past the input, FLOOR rounding, global pooling;
 * convolution kernels, strides, pads and dilations, square and rectangular, with groups;
 * InnerProduct on axes 1..3; LRN sizes), with the
 * weights and every blob made by real Caffe, so that the converter is checked against Caffe itself
 * and not against the project's own reference forward pass.
 *
 *   npm run build && node tools/make-geometry-fixtures.js [case ...]
 *
 * Needs the Caffe oracle (/opt/caffe-bullseye/bin/caffe-oracle, or $CAFFE_ORACLE). Weights come
 * from `caffe-oracle init` (Caffe's own Net::ToProto), the blobs from `caffe-oracle forward`. The
 * project's code only writes the .npy/.npz files. Per case it writes:
 *
 *   net.prototxt        the net as written below
 *   weights.caffemodel  `caffe-oracle init net.prototxt weights.caffemodel --seed 1`
 *   input.npy           float32 NCHW input, uniform in [-2, 2) from a seeded xorshift (below)
 *   blobs.npz           Caffe's value of every layer top (the input and split copies left out)
 *   case.json           manifest: what each layer shows, its top's shape, the run's BLAS info
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const { writeNpy, writeNpz } = require(path.join(ROOT, 'dist', 'runtime', 'npy'));
const { ORACLE, caffeRecord, oracleForward, requireOracle } = require('./lib/caffe-oracle');

const OUT = path.join(ROOT, 'test', 'fixtures', 'geometry');
const SEED = 1;

// ---------------------------------------------------------------------------------------------
// Net text.

function input(shape) {
  return `layer { name: "data" type: "Input" top: "data" input_param { shape { ${shape.map((d) => `dim: ${d}`).join(' ')} } } }\n`;
}
function layer(name, type, body) {
  return `layer { name: "${name}" type: "${type}" bottom: "data" top: "${name}" ${body} }\n`;
}
/** "kernel_size: 3" or "kernel_h: 3 kernel_w: 2", by whether the pair is square. */
function hw(field, [h, w], sizeName = `${field}_size`) {
  return h === w ? `${sizeName}: ${h}` : `${field}_h: ${h} ${field}_w: ${w}`;
}
const pair = (v) => (Array.isArray(v) ? v : [v, v]);

// ---------------------------------------------------------------------------------------------
// The grid. Each case is one net: an Input and layers that all read it (so each shows one thing).

/**
 * Caffe's pooled size: ceil((size + 2 pad - kernel) / stride) + 1, less one when the last window
 * would start in the padding (the pad clip). Caffe clips both axes when either is padded (its test
 * is `pad_h || pad_w`) and neither when unpadded.
 */
function pooledSize(size, k, s, p, padded) {
  let out = Math.ceil((size + 2 * p - k) / s) + 1;
  if (padded && (out - 1) * s >= size + p) out--;
  return out;
}

/**
 * The axes ('row', 'column') whose last window lies wholly past the input. Without padding Caffe
 * does not clip, so with a stride above the kernel the last window can read no input element:
 * Caffe then writes -FLT_MAX (MAX: the value it starts from) and, for AVE, 0 divided by the
 * window's size clipped at the input's end, which is 0 (NaN) or negative (-0; +0 where both axes
 * are negative).
 */
function emptyAxes(shape, k, s, p) {
  const padded = p[0] > 0 || p[1] > 0;
  return ['row', 'column'].filter((_, a) => (pooledSize(shape[2 + a], k[a], s[a], p[a], padded) - 1) * s[a] - p[a] >= shape[2 + a]);
}
const emptyNote = (axes) => (axes.length === 0 ? '' : `, last ${axes.join(' and ')} wholly past the input`);

/** Pooling with every kernel 2..4, stride 1..3 and pad 0..kernel-1 (Caffe needs pad < kernel). */
function poolingGrid(shape) {
  const layers = [];
  for (const pool of ['MAX', 'AVE']) {
    for (const k of [2, 3, 4]) {
      for (const s of [1, 2, 3]) {
        for (let p = 0; p < k; p++) {
          layers.push({
            name: `${pool.toLowerCase()}_k${k}_s${s}_p${p}`,
            type: 'Pooling',
            what: `${pool} kernel ${k} stride ${s} pad ${p} (CEIL)${emptyNote(emptyAxes(shape, [k, k], [s, s], [p, p]))}`,
            body: `pooling_param { pool: ${pool} kernel_size: ${k} stride: ${s} pad: ${p} }`,
          });
        }
      }
    }
  }
  return layers;
}

/** FLOOR rounding, rectangular windows and global pooling. */
function poolingMore(shape) {
  const layers = [];
  for (const pool of ['MAX', 'AVE']) {
    const lc = pool.toLowerCase();
    for (const [k, s, p] of [[2, 2, 0], [2, 2, 1], [3, 2, 0], [3, 2, 1], [3, 3, 0], [3, 3, 2], [4, 3, 1]]) {
      // FLOOR never places a window past the input.
      layers.push({
        name: `${lc}_floor_k${k}_s${s}_p${p}`,
        type: 'Pooling',
        what: `${pool} kernel ${k} stride ${s} pad ${p}, round_mode FLOOR`,
        body: `pooling_param { pool: ${pool} kernel_size: ${k} stride: ${s} pad: ${p} round_mode: FLOOR }`,
      });
    }
    for (const [k, s, p] of [[[2, 3], [1, 2], [0, 1]], [[3, 2], [2, 1], [1, 0]], [[4, 2], [3, 2], [2, 1]], [[1, 3], [1, 3], [0, 2]], [[3, 3], [2, 3], [1, 1]]]) {
      if (emptyAxes(shape, k, s, p).length > 0) throw new Error(`pooling ${k}/${s}/${p} has a window outside ${shape}`);
      const tag = `k${k.join('x')}_s${s.join('x')}_p${p.join('x')}`;
      layers.push({
        name: `${lc}_rect_${tag}`,
        type: 'Pooling',
        what: `${pool} kernel ${k.join('x')} stride ${s.join('x')} pad ${p.join('x')} (CEIL)`,
        body: `pooling_param { pool: ${pool} ${hw('kernel', k)} stride_h: ${s[0]} stride_w: ${s[1]} pad_h: ${p[0]} pad_w: ${p[1]} }`,
      });
      layers.push({
        name: `${lc}_rect_floor_${tag}`,
        type: 'Pooling',
        what: `${pool} kernel ${k.join('x')} stride ${s.join('x')} pad ${p.join('x')}, round_mode FLOOR`,
        body: `pooling_param { pool: ${pool} ${hw('kernel', k)} stride_h: ${s[0]} stride_w: ${s[1]} pad_h: ${p[0]} pad_w: ${p[1]} round_mode: FLOOR }`,
      });
    }
    layers.push({ name: `${lc}_global`, type: 'Pooling', what: `${pool} global_pooling`, body: `pooling_param { pool: ${pool} global_pooling: true }` });
  }
  return layers;
}

/**
 * Windows wholly past the input (unpadded CEIL pooling, stride above the kernel): the last row,
 * column or both read nothing, with Caffe's AVE window size there 0 or negative; and the pad clip
 * on the unpadded axis of a layer padded on the other one (Caffe clips both, so no empty window).
 */
function poolingOutside(shape) {
  const layers = [];
  for (const pool of ['MAX', 'AVE']) {
    const lc = pool.toLowerCase();
    for (const [k, s, p] of [[[1, 1], [3, 3], [0, 0]], [[2, 2], [4, 4], [0, 0]], [[2, 2], [3, 4], [0, 0]], [[2, 2], [5, 4], [0, 0]], [[2, 2], [4, 4], [1, 0]], [[2, 2], [3, 3], [0, 1]]]) {
      const axes = emptyAxes(shape, k, s, p);
      if (axes.length === 0 && p[0] + p[1] === 0) throw new Error(`pooling ${k}/${s}/${p} has no window outside ${shape}`);
      const tag = `k${k.join('x')}_s${s.join('x')}_p${p.join('x')}`;
      layers.push({
        name: `${lc}_outside_${tag}`,
        type: 'Pooling',
        what: `${pool} kernel ${k.join('x')} stride ${s.join('x')} pad ${p.join('x')} (CEIL)${emptyNote(axes)}`,
        body: `pooling_param { pool: ${pool} kernel_h: ${k[0]} kernel_w: ${k[1]} stride_h: ${s[0]} stride_w: ${s[1]} pad_h: ${p[0]} pad_w: ${p[1]} }`,
      });
    }
  }
  return layers;
}

/** Convolutions: square and rectangular kernels/strides/pads, dilation (stride 1), groups. */
function convGrid(channels) {
  const layers = [];
  const conv = (name, what, p) => layers.push({ name, type: 'Convolution', what, body: `convolution_param { ${p} }` });
  for (const k of [1, 2, 3]) {
    for (const s of [1, 2, 3]) {
      for (const p of [0, 1, 2]) conv(`conv_k${k}_s${s}_p${p}`, `kernel ${k} stride ${s} pad ${p}`, `num_output: 3 kernel_size: ${k} stride: ${s} pad: ${p}`);
    }
  }
  for (const [k, s, p] of [[[3, 1], [1, 1], [1, 0]], [[1, 3], [2, 1], [0, 2]], [[2, 5], [1, 2], [1, 2]], [[5, 2], [3, 2], [2, 0]], [[3, 3], [2, 1], [0, 1]]]) {
    conv(
      `conv_rect_k${k.join('x')}_s${s.join('x')}_p${p.join('x')}`,
      `kernel ${k.join('x')} stride ${s.join('x')} pad ${p.join('x')}`,
      `num_output: 3 ${hw('kernel', k)} stride_h: ${s[0]} stride_w: ${s[1]} pad_h: ${p[0]} pad_w: ${p[1]}`,
    );
  }
  for (const [k, d, p] of [[3, 2, 0], [3, 2, 2], [3, 3, 1], [2, 2, 1], [[3, 3], [2, 1], [0, 1]], [[3, 2], [1, 3], [1, 1]], [[2, 3], [2, 2], [0, 2]]]) {
    const [kk, dd, pp] = [pair(k), pair(d), pair(p)];
    const tag = `k${kk.join('x')}_d${dd.join('x')}_p${pp.join('x')}`;
    // Caffe's dilation is a repeated field: one value for both axes, or height then width.
    const dil = dd[0] === dd[1] ? `dilation: ${dd[0]}` : `dilation: ${dd[0]} dilation: ${dd[1]}`;
    conv(`conv_dil_${tag}`, `kernel ${kk.join('x')} dilation ${dd.join('x')} pad ${pp.join('x')}`, `num_output: 3 ${hw('kernel', kk)} ${dil} pad_h: ${pp[0]} pad_w: ${pp[1]}`);
  }
  const C = channels;
  conv('conv_g2', `group 2 (${C} -> 4)`, 'num_output: 4 kernel_size: 3 pad: 1 group: 2');
  conv('conv_g2_s2', `group 2, stride 2, rectangular kernel`, 'num_output: 6 kernel_h: 3 kernel_w: 2 stride: 2 pad: 1 group: 2');
  conv('conv_g2_dil2', 'group 2, dilation 2', 'num_output: 4 kernel_size: 3 dilation: 2 pad: 2 group: 2');
  conv('conv_dw', `depthwise (group ${C}, ${C} -> ${C})`, `num_output: ${C} kernel_size: 3 pad: 1 group: ${C}`);
  conv('conv_dw_m2_s2', `depthwise, multiplier 2, stride 2 (group ${C}, ${C} -> ${2 * C})`, `num_output: ${2 * C} kernel_size: 3 stride: 2 group: ${C}`);
  conv('conv_dw_rect_dil', `depthwise, kernel 3x2, dilation 1x2, no bias`, `num_output: ${C} kernel_h: 3 kernel_w: 2 dilation: 1 dilation: 2 pad_w: 1 group: ${C} bias_term: false`);
  conv('conv_nobias', 'kernel 3, no bias', 'num_output: 3 kernel_size: 3 bias_term: false');
  return layers;
}

function innerProduct() {
  const ip = (name, what, p) => ({ name, type: 'InnerProduct', what, body: `inner_product_param { ${p} }` });
  return [
    ip('ip_axis1', 'axis 1 (default): [N, C*H*W] x W^T', 'num_output: 5'),
    ip('ip_axis2', 'axis 2: [N, C, H*W] -> [N, C, 4]', 'num_output: 4 axis: 2'),
    ip('ip_axis3', 'axis 3: [N, C, H, W] -> [N, C, H, 3]', 'num_output: 3 axis: 3'),
    ip('ip_axis_neg1', 'axis -1 (the last)', 'num_output: 2 axis: -1'),
    ip('ip_axis2_t', 'axis 2, transpose', 'num_output: 4 axis: 2 transpose: true'),
    ip('ip_axis2_nobias', 'axis 2, no bias', 'num_output: 3 axis: 2 bias_term: false'),
    ip('ip_axis1_t_nobias', 'axis 1, transpose, no bias', 'num_output: 6 transpose: true bias_term: false'),
  ];
}

function lrn() {
  const l = (name, what, p) => ({ name, type: 'LRN', what, body: `lrn_param { ${p} }` });
  return [
    l('lrn_across_1', 'ACROSS_CHANNELS local_size 1', 'local_size: 1 alpha: 0.5 beta: 0.75'),
    l('lrn_across_3', 'ACROSS_CHANNELS local_size 3, k 2', 'local_size: 3 alpha: 0.3 beta: 0.6 k: 2'),
    l('lrn_across_5', 'ACROSS_CHANNELS local_size 5 (default alpha, beta)', 'local_size: 5'),
    l('lrn_across_7', 'ACROSS_CHANNELS local_size 7, as many as the channels', 'local_size: 7 alpha: 0.2 beta: 1.5 k: 0.5'),
    l('lrn_across_9', 'ACROSS_CHANNELS local_size 9, more than the channels', 'local_size: 9 alpha: 0.4 beta: 0.75'),
    l('lrn_within_3', 'WITHIN_CHANNEL local_size 3', 'local_size: 3 alpha: 0.5 beta: 0.75 norm_region: WITHIN_CHANNEL'),
    l('lrn_within_5', 'WITHIN_CHANNEL local_size 5, k 2', 'local_size: 5 alpha: 0.9 beta: 0.6 k: 2 norm_region: WITHIN_CHANNEL'),
  ];
}

const CASES = {
  pool_7x7: { about: 'Pooling grid on 7x7: MAX/AVE, kernel 2-4, stride 1-3, pad 0..kernel-1 (ceil overhang, pad clip)', shape: [1, 2, 7, 7], layers: poolingGrid([1, 2, 7, 7]) },
  pool_8x8: { about: 'Pooling grid on 8x8', shape: [1, 2, 8, 8], layers: poolingGrid([1, 2, 8, 8]) },
  pool_9x6: { about: 'Pooling grid on a 9x6 input (the axes round differently), batch 2', shape: [2, 2, 9, 6], layers: poolingGrid([2, 2, 9, 6]) },
  pool_outside: { about: 'Pooling on 9x7 whose last row/column lies wholly past the input (no padding, stride above the kernel), and the pad clip of an unpadded axis', shape: [2, 2, 9, 7], layers: poolingOutside([2, 2, 9, 7]) },
  pool_more_8x8: { about: 'Pooling on 8x8: round_mode FLOOR, rectangular kernel/stride/pad (CEIL and FLOOR), global', shape: [1, 3, 8, 8], layers: poolingMore([1, 3, 8, 8]) },
  pool_more_11x7: { about: 'Pooling on 11x7: round_mode FLOOR, rectangular kernel/stride/pad (CEIL and FLOOR), global', shape: [2, 2, 11, 7], layers: poolingMore([2, 2, 11, 7]) },
  conv_9x7: { about: 'Convolution on 9x7: kernel 1-3 x stride 1-3 x pad 0-2, rectangular kernels/strides/pads, dilation (square, rectangular), groups, depthwise', shape: [1, 4, 9, 7], layers: convGrid(4) },
  conv_8x8: { about: 'Convolution on 8x8, batch 2', shape: [2, 4, 8, 8], layers: convGrid(4) },
  inner_product: { about: 'InnerProduct on a 4-D blob over axis 1, 2, 3 and -1, transposed, without bias', shape: [2, 3, 4, 5], layers: innerProduct() },
  lrn: { about: 'LRN ACROSS_CHANNELS local_size 1-9 (up to more than the 7 channels) and WITHIN_CHANNEL 3, 5 (edges)', shape: [2, 7, 6, 5], inputScale: 2, layers: lrn() },
};

// ---------------------------------------------------------------------------------------------

/** Uniform [-scale, scale) from xorshift32 (seeded per case name), float32. */
function makeInput(name, shape, scale) {
  let s = 2463534242;
  for (const ch of name) s = (Math.imul(s ^ ch.charCodeAt(0), 16777619) >>> 0) || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 * scale - scale;
  }
  return out;
}

function makeCase(name, spec) {
  const dir = path.join(OUT, name);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `geometry-${name}-`));
  const text = `# geometry fixture '${name}': ${spec.about}\nname: "${name}"\n${input(spec.shape)}${spec.layers.map((l) => layer(l.name, l.type, l.body)).join('')}`;
  const netFile = path.join(dir, 'net.prototxt');
  fs.writeFileSync(netFile, text);
  const wFile = path.join(dir, 'weights.caffemodel');
  execFileSync(ORACLE, ['init', netFile, wFile, '--seed', String(SEED)], { stdio: ['ignore', 'ignore', 'inherit'] });

  const x = makeInput(name, spec.shape, spec.inputScale ?? 2);
  writeNpy(path.join(dir, 'input.npy'), { data: x, shape: spec.shape });
  const { blobs, run } = oracleForward(netFile, wFile, x, tmp);
  const byName = new Map(blobs.map((b) => [b.name, b]));
  const arrays = {};
  const layers = [];
  for (const l of spec.layers) {
    const b = byName.get(l.name);
    if (b === undefined) throw new Error(`${name}: Caffe dumped no blob '${l.name}'`);
    arrays[l.name] = { data: b.data, shape: b.shape };
    layers.push({ name: l.name, type: l.type, what: l.what, shape: b.shape });
  }
  writeNpz(path.join(dir, 'blobs.npz'), arrays, { compress: true });
  const manifest = {
    case: name,
    about: spec.about,
    input: { blob: 'data', shape: spec.shape, file: 'input.npy', distribution: `uniform [-${spec.inputScale ?? 2}, ${spec.inputScale ?? 2})` },
    weights: { file: 'weights.caffemodel', by: `caffe-oracle init --seed ${SEED}` },
    caffe: caffeRecord(run),
    layers: [],
  };
  const json = JSON.stringify(manifest, null, 1).replace('"layers": []', `"layers": [\n${layers.map((l) => `  ${JSON.stringify(l)}`).join(',\n')}\n ]`);
  fs.writeFileSync(path.join(dir, 'case.json'), `${json}\n`);
  fs.rmSync(tmp, { recursive: true, force: true });
  const size = fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
  console.log(`${name}: ${layers.length} layers, fixture ${(size / 1024).toFixed(1)} KiB`);
  return size;
}

function main() {
  requireOracle('make-geometry-fixtures');
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(CASES);
  let total = 0;
  for (const n of names) {
    if (!CASES[n]) throw new Error(`unknown case ${n}; known: ${Object.keys(CASES).join(', ')}`);
    total += makeCase(n, CASES[n]);
  }
  console.log(`total ${(total / 1024).toFixed(1)} KiB`);
}

main();
