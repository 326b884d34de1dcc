#!/usr/bin/env node
'use strict';
/**
 * `npm run example`: the main job on a bundled example, one senet command at a time (each is echoed,
 * so it can be copied). Output goes to example-out/ (removed and remade each run).
 *
 * 1. generate the official SE-ResNeXt-50 prototxt and print its summary totals;
 * 2. convert the bundled reduced SE-ResNeXt-50 (the official architecture at 1/8 width, 10 classes,
 *    128x128; weights made by `senet init-weights`) to a TF.js GraphModel;
 * 3. prove parity with real Caffe blob by blob, against the Caffe blob dump bundled beside it
 *    (made with BVLC Caffe 1.0, see test/fixtures/parity/SOURCE.md), writing JUnit XML too.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'example-out');
const fixture = path.join('test', 'fixtures', 'parity', 'se_resnext_50');

function senet(args) {
  process.stdout.write(`\n$ senet ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'senet.js'), ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`example: 'senet ${args[0]}' failed with exit code ${r.status}\n`);
    process.exit(r.status || 1);
  }
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const rel = (p) => path.relative(root, path.join(out, p));

senet(['generate', 'se-resnext-50', '-o', rel('SE-ResNeXt-50.prototxt')]);
senet(['summary', rel('SE-ResNeXt-50.prototxt'), '--totals']);
senet(['convert', path.join(fixture, 'net.prototxt'), path.join(fixture, 'weights.caffemodel'), '-o', rel('se-resnext-50-tiny'), '--quiet']);
senet([
  'parity', rel('se-resnext-50-tiny'),
  '--input', path.join(fixture, 'input.npy'),
  '--reference', path.join(fixture, 'blobs.npz'),
  '--junit', rel('parity.xml'),
]);
process.stdout.write(`\nexample: done; outputs in ${path.relative(process.cwd(), out) || '.'}/\n`);
