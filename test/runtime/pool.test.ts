import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SenetError } from '../../src/errors';
import type { ModelMetadata } from '../../src/model-metadata';
import { GraphBuilder, writeGraphModel } from '../../src/tfgraph';
import { initBackend } from '../../src/runtime/backend';
import { loadModel } from '../../src/runtime/load';
import { runModel } from '../../src/runtime/run';
import { createPool } from '../../src/runtime/pool';
import { packGroupedFilter, randomArray } from '../tfgraph/reference';

let tmp: string;
let modelDir: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-pool-'));
  modelDir = path.join(tmp, 'model');
  const g = new GraphBuilder();
  const x = g.placeholder('data', [-1, 12, 12, 8]);
  const c = g.relu(g.conv2d(x, randomArray([3, 3, 8, 16], 1), { name: 'conv1', pads: [1, 1, 1, 1], strides: [2, 2] }), { name: 'relu1' });
  const gc = g.groupedConv2dPacked(c, packGroupedFilter(randomArray([3, 3, 4, 16], 2), 4), { name: 'gconv', groups: 4, pads: [1, 1, 1, 1] });
  const pooled = g.mean(gc, [1, 2], false, { name: 'gap' });
  g.output(g.softmax(g.matMul(pooled, randomArray([16, 10], 3), { name: 'fc' }), { name: 'prob' }));
  const md: ModelMetadata = {
    senetMetadataVersion: 2, inputName: 'data', inputLayout: 'NHWC', inputShape: [-1, 12, 12, 8], caffeInputShape: [-1, 8, 12, 12],
    tensorLayout: 'NHWC', outputNames: ['prob'],
  };
  writeGraphModel(modelDir, g, { metadata: md });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('pool gives the same outputs as a direct run', async () => {
  const inputs = Array.from({ length: 6 }, (_, i) => randomArray([1 + (i % 2), 8, 12, 12], 100 + i));
  await initBackend('wasm');
  const loaded = await loadModel(modelDir);
  const direct = inputs.map((inp) => runModel(loaded, inp, { outputs: ['prob', 'relu1'] }));
  const pool = await createPool({ modelDir, workers: 2, backend: 'wasm' });
  try {
    expect(pool.backends).toEqual(['wasm', 'wasm']);
    const pooled = await Promise.all(inputs.map((inp) => pool.run(inp, ['prob', 'relu1'])));
    for (let i = 0; i < inputs.length; i++) {
      for (const name of ['prob', 'relu1']) {
        expect(pooled[i][name].shape).toEqual(direct[i][name].shape);
        expect(Array.from(pooled[i][name].data)).toEqual(Array.from(direct[i][name].data));
      }
    }
    expect(pooled[1].prob.shape).toEqual([2, 10]);
    expect(pooled[0].relu1.shape).toEqual([1, 16, 6, 6]); // NCHW at the boundary
    // A user error in one run is a SenetError and does not break the pool.
    await expect(pool.run({ data: new Float32Array(8 * 10 * 10), shape: [1, 8, 10, 10] })).rejects.toThrow(SenetError);
    const again = await pool.run(inputs[0]);
    expect(Array.from(again.prob.data)).toEqual(Array.from(direct[0].prob.data));
  } finally {
    await pool.close();
  }
  await expect(pool.run(inputs[0])).rejects.toThrow(/closed/);
  loaded.model.dispose();
});

test('a pool on a missing model folder fails with a SenetError', async () => {
  await expect(createPool({ modelDir: path.join(tmp, 'nope'), workers: 1, backend: 'cpu' })).rejects.toThrow(/no model.json here/);
});
