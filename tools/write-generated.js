#!/usr/bin/env node
'use strict';
/**
 * Writes one of the project's generated sources from its compiled generator in dist/ (build first:
 * `npm run build`; `npm run gen:types|gen:docs|gen:fingerprints` does both). Tests fail when a
 * generated file differs from what its generator gives now.
 *
 *   node tools/write-generated.js types|docs|fingerprints
 */
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dist = (p) => require(path.join(root, 'dist', p));

/** What each name writes: the target file (relative to the root) and its text. */
const GENERATED = {
  // src/schema/caffe.generated.ts from proto/caffe.proto.
  types: () => ({ file: path.join('src', 'schema', 'caffe.generated.ts'), text: dist('schema/typegen.js').generateTypes(dist('schema/schema.js').caffeRoot()) }),
  // docs/supported-layers.md from the layer handler table.
  docs: () => {
    const gen = dist('layers/supported-docs.js');
    return { file: gen.SUPPORTED_LAYERS_DOC, text: gen.supportedLayersMarkdown() };
  },
  // src/convert/release-fingerprints.generated.ts from the SENet generators.
  fingerprints: () => {
    const gen = dist('convert/release-fingerprints.js');
    return { file: gen.RELEASE_FINGERPRINTS_FILE, text: gen.releaseFingerprintsSource() };
  },
};

const name = process.argv[2];
if (!Object.prototype.hasOwnProperty.call(GENERATED, name)) {
  process.stderr.write(`usage: node tools/write-generated.js ${Object.keys(GENERATED).join('|')}\n`);
  process.exit(2);
}
let out;
try {
  out = GENERATED[name]();
} catch (err) {
  process.stderr.write(`write-generated ${name}: cannot run the compiled generator in dist/ (${err.message}).\nBuild first: npm run build\n`);
  process.exit(1);
}
const target = path.join(root, out.file);
if (fs.existsSync(target) && fs.readFileSync(target, 'utf8') === out.text) {
  process.stdout.write(`${out.file} is up to date\n`);
} else {
  const tmp = `${target}.tmp${process.pid}`;
  fs.writeFileSync(tmp, out.text);
  fs.renameSync(tmp, target);
  process.stdout.write(`wrote ${out.file} (${out.text.split('\n').length - 1} lines)\n`);
}
