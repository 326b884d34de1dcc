#!/usr/bin/env node
'use strict';
/**
 * Writes docs/supported-layers.md from the layer handler table, using the compiled generator in
 * dist/ (build first: `npm run build`; `npm run gen:docs` does both).
 */
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
let gen;
try {
  gen = require(path.join(root, 'dist', 'layers', 'supported-docs.js'));
} catch (err) {
  process.stderr.write(`gen-docs: cannot load the compiled generator in dist/layers (${err.message}).\nBuild first: npm run build\n`);
  process.exit(1);
}
const target = path.join(root, gen.SUPPORTED_LAYERS_DOC);
const text = gen.supportedLayersMarkdown();
if (fs.existsSync(target) && fs.readFileSync(target, 'utf8') === text) {
  process.stdout.write(`${gen.SUPPORTED_LAYERS_DOC} is up to date\n`);
} else {
  const tmp = `${target}.tmp${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, target);
  process.stdout.write(`wrote ${gen.SUPPORTED_LAYERS_DOC}\n`);
}
