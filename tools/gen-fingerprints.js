#!/usr/bin/env node
'use strict';
/**
 * Writes src/convert/release-fingerprints.generated.ts from the SENet generators, using the
 * compiled generator in dist/ (build first: `npm run build`; `npm run gen:fingerprints` does both).
 */
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
let gen;
try {
  gen = require(path.join(root, 'dist', 'convert', 'release-fingerprints.js'));
} catch (err) {
  process.stderr.write(`gen-fingerprints: cannot load the compiled generator in dist/convert (${err.message}).\nBuild first: npm run build\n`);
  process.exit(1);
}
const target = path.join(root, gen.RELEASE_FINGERPRINTS_FILE);
const text = gen.releaseFingerprintsSource();
if (fs.existsSync(target) && fs.readFileSync(target, 'utf8') === text) {
  process.stdout.write(`${gen.RELEASE_FINGERPRINTS_FILE} is up to date\n`);
} else {
  const tmp = `${target}.tmp${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, target);
  process.stdout.write(`wrote ${gen.RELEASE_FINGERPRINTS_FILE}\n`);
}
