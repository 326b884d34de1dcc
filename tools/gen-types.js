#!/usr/bin/env node
'use strict';
/**
 * Writes src/schema/caffe.generated.ts from proto/caffe.proto, using the compiled generator in
 * dist/ (build first: `npx tsc -p tsconfig.build.json`, which `npm run build` does).
 */
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist', 'schema');
const target = path.join(root, 'src', 'schema', 'caffe.generated.ts');

let typegen;
let schema;
try {
  typegen = require(path.join(dist, 'typegen.js'));
  schema = require(path.join(dist, 'schema.js'));
} catch (err) {
  process.stderr.write(`gen-types: cannot load the compiled generator in ${dist} (${err.message}).\n` +
    'Build first: npx tsc -p tsconfig.build.json\n');
  process.exit(1);
}

const text = typegen.generateTypes(schema.caffeRoot());
const previous = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : null;
if (previous === text) {
  process.stdout.write(`${path.relative(root, target)} is up to date\n`);
} else {
  const tmp = `${target}.tmp${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, target);
  process.stdout.write(`wrote ${path.relative(root, target)} (${text.split('\n').length - 1} lines)\n`);
}
