/**
 * Real models trained by others (../shared/reference/models) against real Caffe's own predictions
 * on a few hundred of their test images (test/fixtures/real-models, made by
 * tools/make-real-model-fixtures.js with the oracle; inputs decoded by tools/real-model-inputs.js
 * for both sides): the fixtures and the check, shared by the TF.js and ONNX tests.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { readNpy, toFloat32 } from '../../src/runtime';
import { SHARED_DIR, sharedPath } from '../helpers/shared';
import { PROB_ABS_TOL } from './harness';

export interface ModelInput {
  data: Float32Array;
  shape: number[];
  names: string[];
}
interface InputsModule {
  modelInput(shared: string, name: string): Promise<ModelInput>;
}
// Plain JS shared with the fixture tool, so that both sides decode the images identically.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const inputs = require('../../tools/real-model-inputs.js') as InputsModule;

export interface RealModelFixture {
  model: string;
  files: { dir: string; prototxt: string; prototxtSha256: string; caffemodel: string; caffemodelSha256: string };
  input: { shape: number[]; prep: string; sha256: string; first: string; last: string };
  inputShape: number[] | null;
  output: string;
  probabilities: { blob: string; softmaxAdded: boolean; file: string };
  top1: number[];
}

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'real-models');
export const MODELS = ['lenet', 'cifar10_quick', 'cifar10_full', 'resnet20', 'mobilenet'];

const sha256 = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

/** Row-wise softmax in float64 (Caffe's Softmax layer was added after the net's output). */
function softmaxRows(x: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / classes; r++) {
    let mx = -Infinity;
    for (let k = 0; k < classes; k++) mx = Math.max(mx, x[r * classes + k]);
    let s = 0;
    for (let k = 0; k < classes; k++) s += Math.exp(x[r * classes + k] - mx);
    for (let k = 0; k < classes; k++) out[r * classes + k] = Math.exp(x[r * classes + k] - mx) / s;
  }
  return out;
}

export interface RealModelCase {
  fx: RealModelFixture;
  protoFile: string;
  modelBytes: Buffer;
  x: ModelInput;
  /** The blob to fetch: the output (softmax added after) or the probabilities. */
  fetch: string;
}

/** Loads a model's fixture and checks that the files and inputs are the ones it was made with. */
export async function loadRealModel(name: string): Promise<RealModelCase> {
  const fx = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as RealModelFixture;
  const dir = sharedPath(fx.files.dir);
  const protoFile = path.join(dir, fx.files.prototxt);
  const modelFile = path.join(dir, fx.files.caffemodel);
  // The recorded predictions belong to these exact files and inputs.
  expect(sha256(fs.readFileSync(protoFile))).toBe(fx.files.prototxtSha256);
  const modelBytes = fs.readFileSync(modelFile);
  expect(sha256(modelBytes)).toBe(fx.files.caffemodelSha256);
  const x = await inputs.modelInput(SHARED_DIR, name);
  expect(x.shape).toEqual(fx.input.shape);
  expect([x.names[0], x.names[x.names.length - 1]]).toEqual([fx.input.first, fx.input.last]);
  expect(sha256(new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength))).toBe(fx.input.sha256);
  return { fx, protoFile, modelBytes, x, fetch: fx.probabilities.softmaxAdded ? fx.output : fx.probabilities.blob };
}

/** Caffe's top-1 on every image and probabilities within 1e-5 of Caffe's; `label` names the engine in the log. */
export function checkPredictions(name: string, label: string, c: RealModelCase, got: Float32Array): void {
  const { fx, x } = c;
  const ref = toFloat32(readNpy(path.join(FIXTURES, fx.probabilities.file)));
  const n = x.shape[0];
  const classes = ref.length / n;
  expect(got.length).toBe(ref.length);
  const probs = fx.probabilities.softmaxAdded ? softmaxRows(got, classes) : got;
  let maxDiff = 0;
  const top1: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 0; k < classes; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(probs[i * classes + k] - ref[i * classes + k]));
      if (probs[i * classes + k] > probs[i * classes + best]) best = k;
    }
    top1.push(best);
  }
  const disagree = top1.map((t, i) => (t === fx.top1[i] ? '' : `${i}: ${t} vs Caffe ${fx.top1[i]}`)).filter((s) => s !== '');
  // eslint-disable-next-line no-console
  console.log(`[real${label}] ${name}: ${n} images, top-1 disagreements ${disagree.length}, max |p - Caffe| ${maxDiff.toExponential(2)}`);
  expect(disagree).toEqual([]);
  expect(maxDiff).toBeLessThanOrEqual(PROB_ABS_TOL);
}
