#!/usr/bin/env node
'use strict';
// Writes generated/<id>.prototxt for every architecture in the registry (official flavour, deploy)
// and removes .prototxt files of IDs that no longer exist. Runs on the compiled dist/ (npm run build).
const fs = require('fs');
const path = require('path');
const { generatedFiles, GENERATED_DIR_NAME } = require('../dist/archs');

const dir = path.resolve(__dirname, '..', GENERATED_DIR_NAME);
fs.mkdirSync(dir, { recursive: true });
const files = generatedFiles();
let written = 0;
for (const [name, text] of files) {
  const file = path.join(dir, name);
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) continue;
  // Atomic: temp file in the same folder, then rename.
  const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  written++;
}
let removed = 0;
for (const name of fs.readdirSync(dir)) {
  if (name.endsWith('.prototxt') && !files.has(name)) {
    fs.rmSync(path.join(dir, name));
    removed++;
  }
}
process.stdout.write(`generated/: ${files.size} nets, ${written} written, ${removed} removed\n`);
