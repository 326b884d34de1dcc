/**
 * @jest-environment ./test/helpers/onnx-environment.js
 */
/**
 * Real models trained by others against real Caffe's own predictions (real-models-harness.ts), on
 * the ONNX target: each model is converted to one .onnx file and run on ONNX Runtime (CPU), with
 * the same demands as on TF.js: Caffe's top-1 on every image and probabilities within 1e-5.
 * Skipped with a notice where ../shared is absent.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel } from '../../src/caffemodel';
import { convertNetToOnnx, onnxMetadataProps } from '../../src/convert';
import { writeOnnxModel } from '../../src/onnx';
import { loadOnnxModel } from '../../src/runtime';
import { readNetText } from '../../src/upgrade';
import { describeShared } from '../helpers/shared';
import { checkPredictions, loadRealModel, MODELS } from './real-models-harness';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'real-models-onnx-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describeShared('real models on ONNX Runtime vs real Caffe predictions', () => {
  it.each(MODELS)('%s: Caffe top-1 on every image, probabilities within 1e-5', async (name) => {
    const c = await loadRealModel(name);
    const onnx = convertNetToOnnx({ net: readNetText(c.protoFile), weights: readCaffemodel(c.modelBytes), inputShape: c.fx.inputShape ?? c.x.shape, phase: 'TEST' });
    const file = path.join(tmp, `${name}.onnx`);
    const shapes = new Map<string, number[]>();
    for (const l of onnx.layers) l.tops.forEach((t, k) => shapes.set(t, l.outputShapes[k]));
    writeOnnxModel(file, onnx.graph, { metadata: onnxMetadataProps(onnx.metadata, shapes) });
    const m = await loadOnnxModel(file, { threads: 1, fetch: [c.fetch] });
    try {
      const got = (await m.run({ data: c.x.data, shape: c.x.shape }, [c.fetch]))[c.fetch];
      checkPredictions(name, ' onnxruntime', c, got.data);
    } finally {
      await m.dispose();
    }
  });
});
