/**
 * Real models trained by others against real Caffe's own predictions (real-models-harness.ts):
 * each model is converted, run on the wasm backend, and must give Caffe's top-1 on every image
 * and probabilities within 1e-5. Skipped with a notice where ../shared is absent.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel } from '../../src/caffemodel';
import { convertNet } from '../../src/convert';
import { initBackend, loadModel, runModel } from '../../src/runtime';
import { writeGraphModel } from '../../src/tfgraph';
import { readNetText } from '../../src/upgrade';
import { describeShared } from '../helpers/shared';
import { checkPredictions, FIXTURES, loadRealModel, MODELS } from './real-models-harness';

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
    const c = await loadRealModel(name);
    // wasm: the cpu backend's plain-JS convolutions take ~1 min per model on these batches.
    await initBackend('wasm');
    const converted = convertNet({ net: readNetText(c.protoFile), weights: readCaffemodel(c.modelBytes), inputShape: c.fx.inputShape ?? c.x.shape, phase: 'TEST' });
    const out = path.join(tmp, name);
    writeGraphModel(out, converted.graph, { metadata: converted.metadata });
    const got = runModel(await loadModel(out), { data: c.x.data, shape: c.x.shape }, { outputs: [c.fetch] })[c.fetch];
    checkPredictions(name, '', c, got.data);
  });
});
