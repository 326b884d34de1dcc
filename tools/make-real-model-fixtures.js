#!/usr/bin/env node
/*
 * Records real Caffe's predictions for the real models of ../shared/reference/models (see
 * tools/real-model-inputs.js for the models and inputs) under test/fixtures/real-models/:
 *
 *   npm run build && OPENBLAS_CORETYPE=Haswell node tools/make-real-model-fixtures.js [model ...]
 *
 * Needs the Caffe oracle (/opt/caffe-bullseye/bin/caffe-oracle, or $CAFFE_ORACLE) and ../shared.
 * Per model it writes <model>.json (model files and their sha256, the input batch's sha256 and
 * image ids, Caffe's top-1 per image) and <model>.probs.npy (Caffe's probabilities, float32 N x 10).
 * Neither the models nor the images are copied (their licences: SOURCE.md in each folder).
 *
 * Caffe runs the TEST-phase net with its data layer replaced by an Input of the batch's shape and
 * losses/accuracy dropped (what the converter does); a net without a Softmax gets one ("prob") on
 * its output, so the probabilities are Caffe's own.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const { readNetText } = require(path.join(DIST, 'upgrade'));
const { printText } = require(path.join(DIST, 'textformat'));
const { caffeType } = require(path.join(DIST, 'schema'));
const { layerIncluded } = require(path.join(DIST, 'layers'));
const { writeNpy } = require(path.join(DIST, 'runtime/npy'));
const { caffeRecord, oracleForward, requireOracle } = require('./lib/caffe-oracle');
const { MODELS, MODELS_DIR, modelInput } = require('./real-model-inputs');

const SHARED = path.resolve(ROOT, '..', 'shared');
const OUT = path.join(ROOT, 'test', 'fixtures', 'real-models');
const DATA_TYPES = new Set(['Data', 'ImageData', 'HDF5Data', 'MemoryData', 'WindowData', 'DummyData']);

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

/** The TEST-phase net with an Input of `shape`, no losses/accuracy, and a Softmax on its output. */
function deployNet(net, shape) {
  const state = { phase: 'TEST', level: 0, stages: [] };
  const layers = [];
  (net.input || []).forEach((name) => layers.push({ name: `input_${name}`, type: 'Input', top: [name], input_param: { shape: [{ dim: shape }] } }));
  for (const l of net.layer || []) {
    if (!layerIncluded(l, state)) continue;
    if (l.type.endsWith('Loss') || l.type === 'Accuracy' || l.type === 'Silence') continue;
    if (DATA_TYPES.has(l.type) || l.type === 'Input') {
      layers.push({ name: l.name, type: 'Input', top: [l.top[0]], input_param: { shape: [{ dim: shape }] } });
      continue;
    }
    layers.push({ ...l, include: undefined, exclude: undefined });
  }
  const consumed = new Set(layers.flatMap((l) => (l.bottom || []).filter((b) => !(l.top || []).includes(b))));
  const outputs = [...new Set(layers.flatMap((l) => l.top || []))].filter((t) => !consumed.has(t));
  if (outputs.length !== 1) throw new Error(`expected one output, found ${outputs.join(', ')}`);
  const output = outputs[0];
  const last = layers.filter((l) => (l.top || []).includes(output)).pop();
  let prob = output;
  let softmaxAdded = false;
  if (last.type !== 'Softmax') {
    prob = 'prob';
    softmaxAdded = true;
    layers.push({ name: 'prob', type: 'Softmax', bottom: [output], top: [prob] });
  }
  return { net: { name: net.name, layer: layers }, output, prob, softmaxAdded };
}

async function makeModel(name) {
  const m = MODELS[name];
  const dir = path.join(SHARED, MODELS_DIR, m.dir);
  const protoFile = path.join(dir, m.prototxt);
  const modelFile = path.join(dir, m.caffemodel);
  const x = await modelInput(SHARED, name);
  const xBytes = Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength);
  const { net, output, prob, softmaxAdded } = deployNet(readNetText(protoFile), x.shape);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `real-${name}-`));
  const netFile = path.join(tmp, 'net.prototxt');
  fs.writeFileSync(netFile, printText(net, caffeType('NetParameter')));
  const { blobs, run } = oracleForward(netFile, modelFile, x.data, tmp);
  const probs = blobs.find((b) => b.name === prob).data;
  const n = x.shape[0];
  const classes = probs.length / n;
  const top1 = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probs[i * classes + k] > probs[i * classes + best]) best = k;
    top1.push(best);
  }
  fs.rmSync(tmp, { recursive: true, force: true });

  fs.mkdirSync(OUT, { recursive: true });
  writeNpy(path.join(OUT, `${name}.probs.npy`), { data: probs, shape: [n, classes] });
  const fixture = {
    model: name,
    files: {
      dir: `${MODELS_DIR}/${m.dir}`,
      prototxt: m.prototxt,
      prototxtSha256: sha256(fs.readFileSync(protoFile)),
      caffemodel: m.caffemodel,
      caffemodelSha256: sha256(fs.readFileSync(modelFile)),
    },
    input: { shape: x.shape, prep: m.prep, sha256: sha256(xBytes), first: x.names[0], last: x.names[x.names.length - 1] },
    inputShape: m.inputShape ?? null,
    output,
    probabilities: { blob: prob, softmaxAdded, file: `${name}.probs.npy` },
    caffe: caffeRecord(run),
    top1,
  };
  const text = JSON.stringify({ ...fixture, top1: [] }, null, 1).replace('"top1": []', `"top1": ${JSON.stringify(top1)}`);
  fs.writeFileSync(path.join(OUT, `${name}.json`), `${text}\n`);
  const hist = new Array(classes).fill(0);
  for (const t of top1) hist[t]++;
  console.log(`${name}: ${n} images, top-1 histogram ${hist.join(' ')}`);
}

async function main() {
  requireOracle('make-real-model-fixtures');
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(MODELS);
  for (const n of names) {
    if (!MODELS[n]) throw new Error(`unknown model ${n}; known: ${Object.keys(MODELS).join(', ')}`);
    await makeModel(n);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
