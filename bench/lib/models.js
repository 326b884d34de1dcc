'use strict';
/*
 * Converted models with random weights for the benchmarks, cached in os.tmpdir() so a second run
 * (or another benchmark) does not redo the slow parts. Needs the compiled package (dist/).
 *
 * Keys: the caffemodel by the generated prototxt and the seed; the converted folder additionally
 * by the compiled converter's code, so a changed converter gets a fresh conversion.
 */
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const CACHE = path.join(os.tmpdir(), 'senet-bench-inference');

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** NetParameter of a registered architecture at `size` x `size`, batch 1. */
function buildNet(id, size = 224) {
  const { findArch, resolveOptions } = require(path.join(DIST, 'archs'));
  const e = findArch(id);
  return e.build(resolveOptions(e, { inputSize: size, batch: 1 })).build();
}

function hashFiles(h, dir) {
  if (!fs.existsSync(dir)) return;
  for (const f of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isDirectory()) hashFiles(h, p);
    else if (f.endsWith('.js')) h.update(f).update(fs.readFileSync(p));
  }
}

/**
 * Cached caffemodel and converted model folder of one architecture (random weights, `seed`).
 * `log` gets one line per file made. Older entries of the same architecture are removed.
 */
function prepareModel(id, { size = 224, seed = 1, log = (s) => console.log(s) } = {}) {
  const { readCaffemodel, writeCaffemodel } = require(path.join(DIST, 'caffemodel'));
  const { randomWeights } = require(path.join(DIST, 'reference'));
  const { convertNet } = require(path.join(DIST, 'convert'));
  const { writeGraphModel } = require(path.join(DIST, 'tfgraph'));

  const net = buildNet(id, size);
  const netKey = crypto.createHash('sha256').update(JSON.stringify(net)).update(`seed ${seed}`).digest('hex').slice(0, 12);
  const convKey = crypto.createHash('sha256').update(netKey);
  for (const d of ['convert', 'layers', 'tfgraph', 'caffemodel']) hashFiles(convKey, path.join(DIST, d));
  fs.mkdirSync(CACHE, { recursive: true });
  const caffemodel = path.join(CACHE, `${id}-${netKey}.caffemodel`);
  const modelDir = path.join(CACHE, `${id}-${convKey.digest('hex').slice(0, 12)}`);
  if (!fs.existsSync(caffemodel)) {
    const t = nowMs();
    // Uncalibrated: the values do not change the work done, only the logits' scale.
    const layers = randomWeights(net, { seed });
    const tmp = `${caffemodel}.tmp-${process.pid}`;
    writeCaffemodel(tmp, net, layers);
    fs.renameSync(tmp, caffemodel);
    log(`  random weights -> ${caffemodel} (${((nowMs() - t) / 1000).toFixed(1)} s)`);
  }
  if (!fs.existsSync(path.join(modelDir, 'model.json'))) {
    const weights = readCaffemodel(caffemodel);
    const t = nowMs();
    const c = convertNet({ net, weights, phase: 'TEST' });
    writeGraphModel(modelDir, c.graph, { metadata: c.metadata, force: true });
    log(`  converted -> ${modelDir} (${((nowMs() - t) / 1000).toFixed(1)} s)`);
  }
  // Older conversions and weights of this architecture (another converter or generator) go.
  for (const f of fs.readdirSync(CACHE)) {
    const p = path.join(CACHE, f);
    if (f.startsWith(`${id}-`) && /^[0-9a-f]{12}(\.caffemodel)?$/.test(f.slice(id.length + 1)) && p !== caffemodel && p !== modelDir) {
      fs.rmSync(p, { recursive: true, force: true });
    }
  }
  return { net, caffemodel, modelDir };
}

module.exports = { ROOT, DIST, CACHE, nowMs, loadavg, buildNet, prepareModel };
