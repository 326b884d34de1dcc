#!/usr/bin/env node
/*
 * The two engines side by side, measured in one run (the machine may be shared: compare the
 * ratios, each printed with the load average): SE-ResNet-50, SE-ResNeXt-50 and SENet-154 at
 * 224x224 with random weights from our generator, in ms per image of throughput (1000 / images/s;
 * images/s: all images of a process's timed runs / their wall time). Every configuration runs once
 * per round in its own process, rounds alternating (default 3), and each gets the median over the
 * rounds:
 *
 *  - ONNX Runtime (onnxruntime-node, CPU, sequential execution, graph optimisation all), batch 8,
 *    1 and 2 intra-op threads (`senet bench MODEL.onnx --batch 8 --threads N`, a fresh process);
 *  - TF.js wasm, batch 8, 1 and 2 workers (`senet bench DIR --batch 8 --backend wasm --workers N`);
 *  - OpenCV 4.6 dnn (Debian's python3-opencv), 2 threads, batch 1, on the `--flavor bvlc` prototxt
 *    with the same caffemodel (OpenCV 4.6 fails at batch > 1 on these nets and computes the
 *    release's Axpy as a*Y + X), when /usr/bin/python3 has cv2;
 *
 * then `senet eval` throughput on SENet-154 (ONNX Runtime, 2 threads, batch 8, decoding and
 * resizing included) over generated JPEGs, and the conversion time of SENet-154 to ONNX and to
 * TF.js (best of the rounds, alternating). Prints the CPU's SIMD level and the targets of issue 10:
 * ONNX Runtime >= 2.5x OpenCV's images/s (both 50-layer nets) and >= 4.5x the 2-worker wasm path,
 * ONNX conversion of SENet-154 no slower than TF.js. Needs `npm run build` first.
 *
 *   node bench/onnx-inference.js [--rounds N (3)] [--runs R (5)] [--warmup W (2)] [--only se-resnet-50] [--skip-wasm] [--images N]
 *                                [--skip-models] [--skip-eval]   (parts of the run only)
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const { ROOT, DIST, CACHE, nowMs, loadavg, prepareModel } = require('./lib/models');
const { randomInput, writeNpy, median } = require(path.join(DIST, 'runtime'));
const { convertFiles } = require(path.join(DIST, 'convert'));

const MODELS = ['se-resnet-50', 'se-resnext-50', 'senet-154'];
const FIFTY = new Set(['se-resnet-50', 'se-resnext-50']);
const BATCH = 8;
const PYTHON = '/usr/bin/python3';
const CLI = path.join(ROOT, 'bin', 'senet.js');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const flag = (name) => process.argv.includes(`--${name}`);

/** The widest SIMD the CPU reports (Linux /proc/cpuinfo flags). */
function simdLevel() {
  let flags = '';
  try {
    flags = ` ${(fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m) ?? ['', ''])[1]} `;
  } catch {
    return 'unknown (no /proc/cpuinfo)';
  }
  const has = (f) => flags.includes(` ${f} `);
  const model = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? ['', '?'])[1];
  const level = has('avx512f') ? `AVX-512 (${['avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16'].filter(has).join(' ')})` : has('avx2') ? 'AVX2' : has('avx') ? 'AVX' : has('sse4_2') ? 'SSE4.2' : 'below SSE4.2';
  return `${level}; ${model}; ${os.availableParallelism()} cores`;
}

const hasOpenCv = () => fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import cv2, numpy'], { encoding: 'utf8' }).status === 0;

/** The model's ONNX file beside its cached GraphModel (same caffemodel), made once. */
async function onnxFor(id, caffemodel, modelDir) {
  const file = path.join(modelDir, 'model.onnx');
  if (!fs.existsSync(file)) {
    const proto = path.join(CACHE, `${id}-official.prototxt`);
    generate(id, 'official', proto);
    const t = nowMs();
    await convertFiles(proto, caffemodel, file, { quiet: true, force: true });
    console.log(`  converted to ONNX -> ${file} (${((nowMs() - t) / 1000).toFixed(1)} s)`);
  }
  return file;
}

function generate(id, flavor, file) {
  if (fs.existsSync(file)) return;
  const r = spawnSync(process.execPath, [CLI, 'generate', id, '--flavor', flavor, '--input-size', '224', '--batch', '1', '-o', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`generate ${id} --flavor ${flavor}: ${r.stderr}`);
}

/** OpenCV dnn, 2 threads, batch 1 on the bvlc prototxt: per-run ms, or why not. */
function openCv(id, caffemodel, runs) {
  const proto = path.join(CACHE, `${id}-bvlc.prototxt`);
  generate(id, 'bvlc', proto);
  const x = path.join(CACHE, 'input-1x3x224x224.npy');
  if (!fs.existsSync(x)) writeNpy(x, randomInput([1, 3, 224, 224], 1));
  const r = spawnSync(PYTHON, [path.join(ROOT, 'tools', 'opencv-dnn.py'), '--caffe', proto, caffemodel, '--input', x, '--time', String(runs), '--threads', '2'], { encoding: 'utf8' });
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').pop() };
  return JSON.parse(r.stdout);
}

const ips = (msPerImage) => 1000 / msPerImage;

/**
 * `senet bench MODEL --json ARGS` in a fresh process: timed as a user times it, whatever this
 * script did before (the conversions leave a large heap behind in this process).
 */
function cliBench(model, args) {
  const r = spawnSync(process.execPath, [CLI, 'bench', model, '--json', '--batch', String(BATCH), ...args.map(String)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`senet bench ${model} ${args.join(' ')}: ${r.stderr.trim().split('\n').pop()}`);
  return JSON.parse(r.stdout);
}

async function evalThroughput(onnxFile, images) {
  const sharp = require('sharp');
  const dir = path.join(CACHE, `eval-jpegs-${images}`);
  if (!fs.existsSync(path.join(dir, 'labels.txt'))) {
    fs.mkdirSync(dir, { recursive: true });
    const lines = [];
    for (let i = 0; i < images; i++) {
      // Noise JPEGs of ImageNet-like size (decoding cost like real photos', content irrelevant).
      const w = 500;
      const h = 375;
      const px = Buffer.alloc(w * h * 3);
      let s = i + 1;
      for (let k = 0; k < px.length; k++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        px[k] = (s >>> 24) & 0xff;
      }
      const name = `img${String(i).padStart(4, '0')}.jpg`;
      await sharp(px, { raw: { width: w, height: h, channels: 3 } }).blur(2).jpeg({ quality: 90 }).toFile(path.join(dir, name));
      lines.push(`${name} ${i % 1000}`);
    }
    fs.writeFileSync(path.join(dir, 'labels.txt'), lines.join('\n') + '\n');
  }
  const l = loadavg();
  // A fresh process, as a user runs it (see cliBench).
  const r = spawnSync(process.execPath, [CLI, 'eval', onnxFile, '--images', dir, '--labels', path.join(dir, 'labels.txt'), '--batch', String(BATCH), '--threads', '2', '--json', '-q'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`senet eval: ${r.stderr.trim().split('\n').pop()}`);
  return { r: JSON.parse(r.stdout), load: l };
}

async function timeConvert(proto, caffemodel, out, format) {
  const t = nowMs();
  await convertFiles(proto, caffemodel, out, { quiet: true, force: true, format });
  return (nowMs() - t) / 1000;
}

async function main() {
  const runs = Number(arg('runs', '5'));
  // Two warm-up runs: ONNX Runtime's first timed run after a single warm-up was about twice as
  // slow as the rest (49 vs 25 ms/image on SE-ResNet-50), enough to pull a 5-run mean down by 15%.
  const warmup = Number(arg('warmup', '2'));
  const only = arg('only', undefined);
  const skipWasm = flag('skip-wasm');
  const images = Number(arg('images', '64'));
  const rounds = Number(arg('rounds', '3'));
  console.log(`CPU SIMD: ${simdLevel()}`);
  console.log(`batch ${BATCH}, ${rounds} rounds of every configuration, each ${runs} timed runs after ${warmup} warm-up; load average at start ${loadavg()}`);
  const cv = hasOpenCv();
  if (!cv) console.log('OpenCV: /usr/bin/python3 has no cv2 (Debian: apt-get install python3-opencv); its column is skipped');
  const rows = [];
  for (const id of MODELS.filter((m) => (only === undefined || m === only) && !flag('skip-models'))) {
    console.log(`\n${id}:`);
    const { caffemodel, modelDir } = prepareModel(id, { size: 224 });
    const onnx = await onnxFor(id, caffemodel, modelDir);
    const row = { id };
    const modelRuns = id === 'senet-154' ? Math.max(2, Math.ceil(runs / 2)) : runs;
    const wasmRuns = id === 'senet-154' ? 2 : Math.max(2, Math.ceil(runs / 2));
    // Every configuration once per round, rounds alternating, each in a fresh process; a row's
    // images/s is the median over the rounds, so one disturbed round cannot decide a ratio.
    const configs = [
      ...[1, 2].map((t) => ({ key: `ort${t}`, label: `ONNX Runtime ${t} thread${t > 1 ? 's' : ''}`, measure: () => cliBench(onnx, ['--threads', t, '--runs', modelRuns, '--warmup', warmup]) })),
      ...(skipWasm ? [] : [1, 2].map((w) => ({ key: `wasm${w}`, label: `TF.js wasm ${w} worker${w > 1 ? 's' : ''}`, measure: () => cliBench(modelDir, ['--backend', 'wasm', '--workers', w, '--runs', wasmRuns, '--warmup', warmup]) }))),
      ...(cv ? [{ key: 'cv', label: 'OpenCV 4.6 dnn, 2 threads, batch 1, bvlc flavour', measure: () => openCv(id, caffemodel, id === 'senet-154' ? 3 : runs) }] : []),
    ];
    const samples = Object.fromEntries(configs.map((c) => [c.key, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const c of configs) {
        const b = c.measure();
        if (b.error) {
          console.log(`  ${c.label}: failed (${b.error})`);
          continue;
        }
        // OpenCV runs at batch 1: its images/s is 1000 / the median per-run ms.
        const sample = b.ms !== undefined ? { ips: ips(median(b.ms)), busy: undefined, load: os.loadavg()[0] } : { ips: b.images_per_s, busy: b.cpu_cores, load: b.loadavg };
        samples[c.key].push(sample.ips);
        console.log(`  round ${round}/${rounds} ${c.label}: ${(1000 / sample.ips).toFixed(1)} ms/image of throughput, ${sample.ips.toFixed(2)} images/s${sample.busy !== undefined ? `, cores busy ${sample.busy.toFixed(2)}` : ''} [load ${sample.load.toFixed(2)}]`);
      }
    }
    for (const c of configs) {
      const xs = samples[c.key];
      if (xs.length === 0) continue;
      row[`${c.key}ips`] = median(xs);
      row[c.key] = 1000 / row[`${c.key}ips`];
    }
    const spread = (key) => (samples[key]?.length > 1 ? ` (rounds ${Math.min(...samples[key].map((x) => 1000 / x)).toFixed(1)}-${Math.max(...samples[key].map((x) => 1000 / x)).toFixed(1)})` : '');
    for (const c of configs) if (row[c.key] !== undefined) console.log(`  ${c.label}: ${row[c.key].toFixed(1)} ms/image of throughput, median of ${samples[c.key].length} round${samples[c.key].length > 1 ? 's' : ''}${spread(c.key)}`);
    if (row.cv !== undefined) console.log(`  ONNX Runtime (2 threads) / OpenCV images/s: ${(row.ort2ips / row.cvips).toFixed(2)}x${FIFTY.has(id) ? ' (target >= 2.5x)' : ''}`);
    if (row.wasm2ips !== undefined) console.log(`  ONNX Runtime (2 threads) / TF.js wasm 2 workers images/s: ${(row.ort2ips / row.wasm2ips).toFixed(2)}x (target >= 4.5x)`);
    rows.push(row);
  }

  if (only === undefined || only === 'senet-154') {
    const { caffemodel, modelDir } = prepareModel('senet-154', { size: 224 });
    const onnx = await onnxFor('senet-154', caffemodel, modelDir);
    if (!flag('skip-eval')) {
    console.log(`\nsenet eval on SENet-154, ONNX Runtime 2 threads, batch ${BATCH}, ${images} JPEGs of 500x375 (decoding, resize 256, crop 224 included):`);
    const { r, load } = await evalThroughput(onnx, images);
    console.log(`  ${r.imagesPerSecond.toFixed(2)} images/s (${r.images} images in ${r.seconds.toFixed(1)} s) [load ${load}]; 50,000 images would take ${(50000 / r.imagesPerSecond / 3600).toFixed(2)} h`);
    }

    console.log('\nconversion of SENet-154 (convertFiles, best of 2, alternating):');
    const proto = path.join(CACHE, 'senet-154-official.prototxt');
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-bench-convert-'));
    try {
      const t = { onnx: [], tfjs: [] };
      for (let i = 0; i < 2; i++) {
        t.tfjs.push(await timeConvert(proto, caffemodel, path.join(work, 'tfjs'), 'tfjs'));
        t.onnx.push(await timeConvert(proto, caffemodel, path.join(work, 'model.onnx'), 'onnx'));
      }
      const o = Math.min(...t.onnx);
      const j = Math.min(...t.tfjs);
      console.log(`  to ONNX ${o.toFixed(2)} s, to TF.js ${j.toFixed(2)} s: ONNX/TF.js ${(o / j).toFixed(2)}x (target <= 1.00) [load ${loadavg()}]`);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  console.log(`\nms per image of throughput, median of ${rounds} rounds (batch 8; OpenCV batch 1):`);
  console.log('| | ONNX Runtime 1 thread | ONNX Runtime 2 threads | TF.js wasm 1 worker | TF.js wasm 2 workers | OpenCV 4.6 dnn 2 threads | ORT/OpenCV | ORT/wasm 2 workers |');
  console.log('|---|---|---|---|---|---|---|---|');
  const f = (x) => (x === undefined ? '-' : x.toFixed(1));
  for (const r of rows) {
    const vsCv = r.cv !== undefined ? `${(r.ort2ips / r.cvips).toFixed(2)}x` : '-';
    const vsWasm = r.wasm2ips !== undefined ? `${(r.ort2ips / r.wasm2ips).toFixed(2)}x` : '-';
    console.log(`| ${r.id} | ${f(r.ort1)} | ${f(r.ort2)} | ${f(r.wasm1)} | ${f(r.wasm2)} | ${f(r.cv)} | ${vsCv} | ${vsWasm} |`);
  }
  console.log(`targets: ORT >= 2.5x OpenCV on both 50-layer nets, >= 4.5x the 2-worker wasm path; load average at the end ${loadavg()}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
