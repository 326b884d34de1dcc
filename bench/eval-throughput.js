#!/usr/bin/env node
'use strict';
/*
 * Eval throughput (images/s) with 1 and 2 workers, and their ratio, through src/verify's
 * `evaluate` (the code path of `senet eval`). Needs the compiled package (npm run build).
 *
 *   node bench/eval-throughput.js [--count N] [--model ID] [--batch N] [--backend B]
 *   node bench/eval-throughput.js MODEL_DIR IMAGES LABELS [--batch N] [--limit N] [--backend B] [--channel-order RGB]
 *
 * Without arguments it makes its own inputs, cached in os.tmpdir(): SE-ResNet-50 at 224x224 with
 * random weights, converted (bench/lib/models.js, shared with bench/inference-wasm.js), and N
 * (default 64) synthetic JPEGs of ImageNet validation sizes with a labels file. Accuracy is
 * meaningless then (random weights, random labels); only the throughput counts.
 *
 * The engine does not report how much of its time goes to decoding, so the bench measures the
 * preprocessing (sharp decode + resize + crop, the engine's own function) of the same images
 * beforehand and prints its CPU time as a share of the eval's CPU time per image. CPU time is
 * the whole process's (main thread, libuv's decode threads and the workers). The machine may be
 * shared: the load average is printed beside each run.
 */
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { DIST, nowMs, loadavg, prepareModel } = require('./lib/models');

const { evaluate, readModelMetadata, preprocessingFor, preprocessImage, listImages } = require(path.join(DIST, 'verify'));

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

const USAGE =
  'usage: node bench/eval-throughput.js [--count N] [--model ID] [--batch N] [--backend B]\n' +
  '   or: node bench/eval-throughput.js MODEL_DIR IMAGES LABELS [--batch N] [--limit N] [--backend B] [--channel-order RGB]';

// ---------------------------------------------------------------------------------------------
// Synthetic images: smooth gradients and soft blobs (what JPEG compresses well) plus sensor-like
// noise (what it does not), so files are near real photos' sizes (~85 KiB; ImageNet's average is
// a little larger). The sizes are
// the common ImageNet validation ones.

const IMAGE_SIZES = [[500, 375], [500, 375], [375, 500], [500, 333]];
const IMAGE_SEED = 7;
// Bump when the generator changes so the cache is rebuilt.
const IMAGE_VERSION = 2;

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function syntheticPixels(rand, width, height) {
  const px = Buffer.alloc(width * height * 3);
  const c0 = [0, 1, 2].map(() => rand() * 255);
  const c1 = [0, 1, 2].map(() => rand() * 255);
  const angle = rand() * Math.PI * 2;
  const dx = Math.cos(angle) / width;
  const dy = Math.sin(angle) / height;
  const blobs = Array.from({ length: 6 }, () => ({
    x: rand() * width, y: rand() * height, r: 20 + rand() * 120, c: [0, 1, 2].map(() => rand() * 255), a: 0.3 + rand() * 0.6,
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let t = 0.5 + (x - width / 2) * dx + (y - height / 2) * dy;
      t = Math.min(1, Math.max(0, t));
      const rgb = [0, 1, 2].map((k) => c0[k] * (1 - t) + c1[k] * t);
      for (const b of blobs) {
        const d2 = ((x - b.x) ** 2 + (y - b.y) ** 2) / (b.r * b.r);
        if (d2 < 4) {
          const w = b.a * Math.exp(-d2);
          for (let k = 0; k < 3; k++) rgb[k] = rgb[k] * (1 - w) + b.c[k] * w;
        }
      }
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) px[o + k] = Math.min(255, Math.max(0, Math.round(rgb[k] + (rand() - 0.5) * 64)));
    }
  }
  return px;
}

/** Cached folder of `count` synthetic JPEGs and its labels file (`name index` per line). */
async function prepareImages(count) {
  const sharp = require('sharp');
  const key = crypto.createHash('sha256').update(JSON.stringify({ IMAGE_VERSION, IMAGE_SIZES, IMAGE_SEED, count })).digest('hex').slice(0, 12);
  const base = path.join(os.tmpdir(), 'senet-bench-eval');
  const dir = path.join(base, `images-${key}`);
  const labels = path.join(dir, 'labels.txt');
  if (!fs.existsSync(labels)) {
    const t = nowMs();
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(path.join(tmp, 'img'), { recursive: true });
    const rand = mulberry32(IMAGE_SEED);
    const lines = [];
    for (let i = 0; i < count; i++) {
      const [width, height] = IMAGE_SIZES[i % IMAGE_SIZES.length];
      const name = `img/synth_${String(i).padStart(5, '0')}.JPEG`;
      await sharp(syntheticPixels(rand, width, height), { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 90 })
        .toFile(path.join(tmp, name));
      lines.push(`${name} ${Math.floor(rand() * 1000)}`);
    }
    fs.writeFileSync(path.join(tmp, 'labels.txt'), `${lines.join('\n')}\n`);
    // Older image sets go; a concurrent run that got there first wins.
    fs.mkdirSync(base, { recursive: true });
    for (const f of fs.readdirSync(base)) if (/^images-[0-9a-f]{12}$/.test(f) && f !== path.basename(dir)) fs.rmSync(path.join(base, f), { recursive: true, force: true });
    try {
      fs.renameSync(tmp, dir);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    console.log(`  ${count} synthetic JPEGs -> ${dir} (${((nowMs() - t) / 1000).toFixed(1)} s)`);
  }
  return { images: path.join(dir, 'img'), labels };
}

// ---------------------------------------------------------------------------------------------

const cpuMs = (c) => (c.user + c.system) / 1000;

/** Preprocessing alone (the engine's function, one image at a time): wall and CPU ms per image. */
async function measurePreprocessing(modelDir, images, limit, channelOrder) {
  const md = readModelMetadata(modelDir);
  const pre = preprocessingFor(md.caffeInputShape, md.preprocessing, { channelOrder });
  const { root, files: all } = listImages(images);
  const files = limit !== undefined ? all.slice(0, limit) : all;
  const [, c, h, w] = md.caffeInputShape;
  const buf = new Float32Array(c * h * w);
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  for (const f of files) await preprocessImage(path.join(root, f), pre, buf, 0);
  return { wallMs: (nowMs() - t0) / files.length, cpuMs: cpuMs(process.cpuUsage(c0)) / files.length, bytes: files.reduce((s, f) => s + fs.statSync(path.join(root, f)).size, 0) / files.length };
}

async function run({ modelDir, images, labels, batch, limit, backend, channelOrder }) {
  console.log(`${os.cpus().length} cores, batch ${batch}; load average ${loadavg()}`);
  // First, so the files are in the page cache for both eval runs alike.
  const prep = await measurePreprocessing(modelDir, images, limit, channelOrder);
  console.log(
    `preprocessing alone (decode + resize + crop, one at a time): ${prep.wallMs.toFixed(1)} ms/image wall, ${prep.cpuMs.toFixed(1)} ms/image cpu; ` +
      `JPEGs ${(prep.bytes / 1024).toFixed(0)} KiB on average`,
  );
  const rates = {};
  const cpus = {};
  for (const workers of [1, 2]) {
    const l = loadavg();
    const c0 = process.cpuUsage();
    const r = await evaluate({ modelDir, images, labels, batch, limit, workers, backend, channelOrder });
    const cpu = cpuMs(process.cpuUsage(c0)) / r.images;
    rates[workers] = r.imagesPerSecond;
    cpus[workers] = cpu;
    const unread = r.failed.length > 0 ? `, ${r.failed.length} unreadable` : '';
    console.log(
      `${workers} worker(s): ${r.imagesPerSecond.toFixed(2)} images/s (${r.images} images${unread}, ${r.seconds.toFixed(1)} s, ${[...new Set(r.backends)].join(', ')}, ` +
        `top-1 ${(r.top1Accuracy * 100).toFixed(2)}%); cpu ${cpu.toFixed(0)} ms/image, cores busy ${((cpu * r.imagesPerSecond) / 1000).toFixed(2)}, ` +
        `preprocessing ~${((100 * prep.cpuMs) / cpu).toFixed(1)}% of the cpu [load before ${l}]`,
    );
  }
  // On two otherwise idle cores, if the CPU time per image stays as measured (ignores memory-bandwidth
  // sharing): one worker is bound by its inference (the main thread preprocesses beside it), two
  // by all the work sharing the two cores.
  const idle = (Math.min(2, os.cpus().length) * (cpus[1] - prep.cpuMs)) / cpus[2];
  console.log(
    `ratio 2/1 workers: ${(rates[2] / rates[1]).toFixed(2)}x (about ${idle.toFixed(2)}x on idle cores from the cpu per image); load average at the end ${loadavg()}`,
  );
  console.log('decode share: not reported by the engine; the preprocessing share above is measured by this bench');
}

async function main() {
  const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(i > 0 && all[i - 1].startsWith('--')));
  const batch = Number(arg('batch', '8'));
  const limit = arg('limit') ? Number(arg('limit')) : undefined;
  const backend = arg('backend');
  const channelOrder = arg('channel-order');
  if (positional.length === 3) {
    const [modelDir, images, labels] = positional;
    await run({ modelDir, images, labels, batch, limit, backend, channelOrder });
    return;
  }
  if (positional.length !== 0) {
    console.error(USAGE);
    process.exit(2);
  }
  const id = arg('model', 'se-resnet-50');
  const count = Number(arg('count', '64'));
  console.log(`self-contained: ${id} 224x224 (random weights), ${count} synthetic JPEGs of ImageNet sizes (${[...new Set(IMAGE_SIZES.map((s) => s.join('x')))].join(', ')})`);
  const { modelDir } = prepareModel(id, { size: 224, seed: 1 });
  const { images, labels } = await prepareImages(count);
  await run({ modelDir, images, labels, batch, limit, backend, channelOrder });
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
