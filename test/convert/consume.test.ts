/**
 * consumeWeights (convertFiles' mode: blobs overwritten in place with the converted weights) must
 * give exactly the weights of the copying mode, and the shards written from views (a weight
 * spanning shards, many pieces per shard) must hold exactly those bytes, in manifest order.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NetBuilder } from '../../src/builder';
import { convertNet } from '../../src/convert';
import { inferShapes } from '../../src/layers';
import type { NetParameter } from '../../src/schema';
import { weightValues, writeGraphModel } from '../../src/tfgraph';
import { type Weights, caffemodelOf, cleanTmp, rand, tmpDir } from './helpers';

afterAll(cleanTmp);

function net(): NetParameter {
  const b = new NetBuilder('consume');
  let x = b.input('data', [1, 8, 6, 6]);
  x = b.conv('c1', x, { num_output: 16, kernel_size: 3, pad: 1 });
  x = b.batchNorm('c1/bn', x);
  x = b.scale('c1/scale', x, { bias_term: true });
  x = b.relu('c1/relu', x);
  x = b.conv('c2', x, { num_output: 16, kernel_size: 3, pad: 1, group: 4 });
  x = b.conv('c3', x, { num_output: 12, kernel_size: 1 });
  b.fc('fc', x, { num_output: 5 });
  return b.build();
}

function weights(n: NetParameter): Weights {
  const w: Weights = new Map();
  let seed = 3;
  for (const l of inferShapes(n).layers) {
    if (l.blobShapes.length === 0) continue;
    w.set(l.name, l.blobShapes.map((shape, i) => {
      const count = shape.reduce((a, b) => a * b, 1);
      if (l.type === 'BatchNorm') return { shape, data: i === 2 ? Float32Array.from([1]) : rand(count, seed++, 0.5, 2) };
      return { shape, data: rand(count, seed++) };
    }));
  }
  return w;
}

/** Every weight's bytes, concatenated in manifest order. */
function allBytes(g: ReturnType<typeof convertNet>['graph']): Buffer {
  return Buffer.concat(g.weights.map((w) => {
    const d = weightValues(w);
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  }));
}

test('consumed and copied conversions give the same weights; shards hold them byte for byte', () => {
  const n = net();
  const w = weights(n);
  const copied = convertNet({ net: n, weights: caffemodelOf(n, w), phase: 'TEST' });
  // Fresh blob arrays for the consuming run, so the copy above is untouched.
  const w2: Weights = new Map([...w].map(([k, bl]) => [k, bl.map((b) => ({ shape: b.shape, data: b.data.slice() }))]));
  const model = caffemodelOf(n, w2);
  const consumed = convertNet({ net: n, weights: model, phase: 'TEST', consumeWeights: true });
  expect(consumed.folded).toEqual(['c1/bn', 'c1/scale']);
  const expected = allBytes(copied.graph);
  expect(allBytes(consumed.graph).equals(expected)).toBe(true);
  // The big weights really live in the caffemodel's memory now (no second copy).
  const convBlob = model.layers.find((l) => l.name === 'c3')!.blobs[0].data;
  expect(consumed.graph.weights.some((x) => x.data === convBlob)).toBe(true);

  // 100-byte shards: weights span shards and shards gather many pieces.
  const dir = tmpDir();
  const json = writeGraphModel(dir, consumed.graph, { metadata: consumed.metadata, shardBytes: 100 });
  const paths = json.weightsManifest[0].paths;
  expect(paths.length).toBe(Math.ceil(expected.length / 100));
  const files = paths.map((p) => fs.readFileSync(path.join(dir, p)));
  files.slice(0, -1).forEach((f) => expect(f.length).toBe(100));
  expect(Buffer.concat(files).equals(expected)).toBe(true);
});
