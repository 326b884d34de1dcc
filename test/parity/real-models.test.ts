/**
 * Real models trained by others (../shared/reference/models) against real Caffe's own predictions
 * on a few hundred of their test images (test/fixtures/real-models, made by
 * tools/make-real-model-fixtures.js with the oracle; inputs decoded by tools/real-model-inputs.js
 * for both sides). Each model is converted, run on the wasm backend, and must give Caffe's top-1 on
 * every image and probabilities within 1e-5. Skipped with a notice where ../shared is absent.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel } from '../../src/caffemodel';
import { convertNet } from '../../src/convert';
import { initBackend, loadModel, readNpy, runModel, toFloat32 } from '../../src/runtime';
import { writeGraphModel } from '../../src/tfgraph';
import { readNetText } from '../../src/upgrade';
import { describeShared, SHARED_DIR, sharedPath } from '../helpers/shared';
import { PROB_ABS_TOL } from './harness';

interface ModelInput {
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

interface RealModelFixture {
  model: string;
  files: { dir: string; prototxt: string; prototxtSha256: string; caffemodel: string; caffemodelSha256: string };
  input: { shape: number[]; prep: string; sha256: string; first: string; last: string };
  inputShape: number[] | null;
  output: string;
  probabilities: { blob: string; softmaxAdded: boolean; file: string };
  top1: number[];
}

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'real-models');
const MODELS = ['lenet', 'cifar10_quick', 'cifar10_full', 'resnet20', 'mobilenet'];

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

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'real-models-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describeShared('real models vs real Caffe predictions', () => {
  it('has a fixture for every model', () => {
    for (const m of MODELS) expect(fs.existsSync(path.join(FIXTURES, `${m}.json`))).toBe(true);
  });

  it.each(MODELS)('%s: Caffe top-1 on every image, probabilities within 1e-5', async (name) => {
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

    // wasm: the cpu backend's plain-JS convolutions take ~1 min per model on these batches.
    await initBackend('wasm');
    const converted = convertNet({ net: readNetText(protoFile), weights: readCaffemodel(modelBytes), inputShape: fx.inputShape ?? x.shape, phase: 'TEST' });
    const out = path.join(tmp, name);
    writeGraphModel(out, converted.graph, { metadata: converted.metadata });
    const fetch = fx.probabilities.softmaxAdded ? fx.output : fx.probabilities.blob;
    const got = runModel(await loadModel(out), { data: x.data, shape: x.shape }, { outputs: [fetch] })[fetch];

    const ref = toFloat32(readNpy(path.join(FIXTURES, fx.probabilities.file)));
    const n = x.shape[0];
    const classes = ref.length / n;
    expect(got.data.length).toBe(ref.length);
    const probs = fx.probabilities.softmaxAdded ? softmaxRows(got.data, classes) : got.data;
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
    console.log(`[real] ${name}: ${n} images, top-1 disagreements ${disagree.length}, max |p - Caffe| ${maxDiff.toExponential(2)}`);
    expect(disagree).toEqual([]);
    expect(maxDiff).toBeLessThanOrEqual(PROB_ABS_TOL);
  });
});
