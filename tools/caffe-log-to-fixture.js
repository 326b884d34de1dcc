#!/usr/bin/env node
'use strict';
// Reads Caffe's glog output of building one or more nets (caffe-oracle init with
// CAFFE_ORACLE_VERBOSE=1, or `caffe train`) and prints the nets Caffe built as compact JSON:
// { nets: [{ phase, layers: [[layer, [[top, [dims...]], ...]], ...] }] }, in Caffe's layer order,
// including the split layers Caffe inserts. Usage: caffe-log-to-fixture.js LOG [key=value ...]
const fs = require('fs');

const [logFile, ...extra] = process.argv.slice(2);
const nets = [];
let net;
let layer;
let phase = 'TEST';
for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
  const msg = line.replace(/^[IWEF]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] /, '');
  if (msg === line) continue;
  if (msg.startsWith('Creating training net')) phase = 'TRAIN';
  else if (msg.startsWith('Creating test net')) phase = 'TEST';
  else if (msg.startsWith('Initializing net from parameters')) nets.push((net = { phase, layers: [] }));
  let m;
  if ((m = /^Creating Layer (.+)$/.exec(msg))) {
    layer = { name: m[1], tops: [], shapes: [] };
    net.layers.push(layer);
  } else if (layer && (m = /^(.+) -> (.+)$/.exec(msg)) && m[1] === layer.name) {
    layer.tops.push(m[2].replace(/ \(in-place\)$/, ''));
  } else if (layer && (m = /^Top shape: ([\d ]*)\((\d+)\)$/.exec(msg))) {
    const dims = m[1].trim() === '' ? [] : m[1].trim().split(' ').map(Number);
    layer.shapes.push(dims);
  }
}
if (nets.length === 0) throw new Error(`${logFile}: no net in the log`);
for (const n of nets) {
  for (const l of n.layers) {
    if (l.tops.length !== l.shapes.length) throw new Error(`${logFile}: layer ${l.name}: ${l.tops.length} tops, ${l.shapes.length} shapes`);
  }
}
const meta = Object.fromEntries(extra.map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
const out = { ...meta, nets: nets.map((n) => ({ phase: n.phase, layers: n.layers.map((l) => [l.name, l.tops.map((t, i) => [t, l.shapes[i]])]) })) };
// One layer per line: small diffs when a generator changes.
process.stdout.write(
  JSON.stringify({ ...out, nets: '@' })
    .replace('"@"', '[' + out.nets.map((n) => `\n{"phase":"${n.phase}","layers":[\n` + n.layers.map((l) => JSON.stringify(l)).join(',\n') + '\n]}').join(',') + '\n]') + '\n',
);
