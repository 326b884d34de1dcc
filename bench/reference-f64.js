#!/usr/bin/env node
/*
 * How fast the float64 reference forward pass (src/reference, `senet reference`) is on the full
 * SENet-154 at 224x224 (20.7 G multiply-adds), and how much memory it keeps: blobs are dropped
 * after their last use, as `senet reference` does while it writes each one to disk. Needs
 * `npm run build` first.
 *
 *   node bench/reference-f64.js [--arch senet-154] [--size 224] [--float32]
 *
 * Weights: randomWeights(seed 1), uncalibrated (the values do not change the work). Reported:
 * wall time of the forward pass, multiply-adds per second, peak RSS, and the same pass of a
 * 1/4-size input as a ratio (the cost should scale with the pixels). Target (issue 13): a few
 * minutes on this project's 2-core machine.
 */
'use strict';
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const { findArch, resolveOptions } = require(path.join(DIST, 'archs'));
const { inferShapes } = require(path.join(DIST, 'layers'));
const { FLOAT32, FLOAT64, randomWeights, referenceForward } = require(path.join(DIST, 'reference'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const arch = arg('arch', 'senet-154');
const size = Number(arg('size', '224'));
const numeric = process.argv.includes('--float32') ? FLOAT32 : FLOAT64;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function netAt(s) {
  const e = findArch(arch);
  return e.build(resolveOptions(e, { inputSize: s, batch: 1 })).build();
}

function run(s) {
  const net = netAt(s);
  const shapes = inferShapes(net);
  const input = shapes.layers.find((l) => l.type === 'Input');
  const inputShape = shapes.blobs.get(input.tops[0]);
  const t0 = nowMs();
  const weights = randomWeights(net, { seed: 1 });
  const tWeights = nowMs() - t0;
  const n = inputShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.001) + 0.1 * Math.cos(i * 0.37);
  let layers = 0;
  const t1 = nowMs();
  const out = referenceForward(net, {
    inputs: { [input.tops[0]]: { shape: inputShape, data } },
    weights: new Map(weights.map((w) => [w.name, w.blobs])),
    shapes,
    numeric,
    keep: (b) => shapes.outputs.includes(b),
    afterLayer: () => {
      layers++;
    },
  });
  const ms = nowMs() - t1;
  const prob = out.get(shapes.outputs[0]);
  return { ms, tWeights, macs: shapes.totals.macs, layers, kept: out.size, probSum: prob ? prob.data.reduce((a, b) => a + b, 0) : NaN };
}

console.log(`${arch}, ${numeric.name} reference forward pass; node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const small = run(size / 2);
console.log(`  ${size / 2}x${size / 2}: ${(small.ms / 1000).toFixed(1)} s (${(small.macs / 1e9).toFixed(2)} G MACs, ${(small.macs / small.ms / 1e6).toFixed(2)} G MAC/s)`);
const big = run(size);
const rss = process.resourceUsage().maxRSS / 1024;
console.log(
  `  ${size}x${size}: ${(big.ms / 1000).toFixed(1)} s (${(big.macs / 1e9).toFixed(2)} G MACs, ${(big.macs / big.ms / 1e6).toFixed(2)} G MAC/s, ` +
    `${big.layers} layers, weights made in ${(big.tWeights / 1000).toFixed(1)} s, outputs kept ${big.kept}, sum of ${arch} probabilities ${big.probSum.toFixed(6)})`,
);
console.log(`  ratio ${size} / ${size / 2}: ${(big.ms / small.ms).toFixed(2)}x for ${(big.macs / small.macs).toFixed(2)}x the MACs; peak RSS ${rss.toFixed(0)} MiB`);
console.log('  target: a few minutes for the full-size pass');
