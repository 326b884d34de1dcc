import * as fs from 'fs';
import * as path from 'path';
import { NetError, UnsupportedLayerError } from '../../src/errors';
import { inferShapes, layerIncluded, stateMeetsRule } from '../../src/layers';
import type { NetShapes } from '../../src/layers';
import { caffeType, type NetParameter } from '../../src/schema';
import { parseText } from '../../src/textformat';
import { describeShared, sharedPath } from '../helpers/shared';
import { inputLayer, net } from './helpers';

const FIX = path.join(__dirname, '..', 'fixtures', 'layers');
const NETS = ['SE-ResNet-50', 'SE-ResNeXt-50', 'SE-BN-Inception', 'SENet-154'] as const;

function readNet(file: string): NetParameter {
  return parseText<NetParameter>(fs.readFileSync(file, 'utf8'), caffeType('NetParameter'), file);
}

describe('net walk', () => {
  test('phase filtering as StateMeetsRule', () => {
    const st = { phase: 'TEST' as const, level: 2, stages: ['deploy'] };
    expect(stateMeetsRule(st, { phase: 'TRAIN' })).toBe(false);
    expect(stateMeetsRule(st, { phase: 'TEST', min_level: 2, max_level: 2 })).toBe(true);
    expect(stateMeetsRule(st, { min_level: 3 })).toBe(false);
    expect(stateMeetsRule(st, { max_level: 1 })).toBe(false);
    expect(stateMeetsRule(st, { stage: ['deploy'] })).toBe(true);
    expect(stateMeetsRule(st, { stage: ['deploy', 'x'] })).toBe(false);
    expect(stateMeetsRule(st, { not_stage: ['deploy'] })).toBe(false);
    expect(layerIncluded({ include: [{ phase: 'TRAIN' }, { stage: ['deploy'] }] }, st)).toBe(true);
    expect(layerIncluded({ exclude: [{ phase: 'TEST' }] }, st)).toBe(false);
    expect(() => layerIncluded({ name: 'z', include: [{}], exclude: [{}] }, st)).toThrow(/either include or exclude/);
    const n = net(
      { name: 'd', type: 'DummyData', top: ['x'], dummy_data_param: { shape: [{ dim: [8, 4] }] }, include: [{ phase: 'TRAIN' }] },
      { name: 'd2', type: 'DummyData', top: ['x'], dummy_data_param: { shape: [{ dim: [1, 4] }] }, include: [{ phase: 'TEST' }] },
      { name: 'fc', type: 'InnerProduct', bottom: ['x'], top: ['y'], inner_product_param: { num_output: 3 } },
    );
    expect(inferShapes(n, { phase: 'TRAIN' }).blobs.get('y')).toEqual([8, 3]);
    expect(inferShapes(n).blobs.get('y')).toEqual([1, 3]);
  });
  test('in-place layers, params, stats, MACs, outputs', () => {
    const r = inferShapes(
      net(
        inputLayer('data', [2, 3, 8, 8]),
        { name: 'c', type: 'Convolution', bottom: ['data'], top: ['c'], convolution_param: { num_output: 4, kernel_size: [3], pad: [1] } },
        { name: 'bn', type: 'BatchNorm', bottom: ['c'], top: ['c'] },
        { name: 'sc', type: 'Scale', bottom: ['c'], top: ['c'], scale_param: { bias_term: true } },
        { name: 'r', type: 'ReLU', bottom: ['c'], top: ['c'] },
        { name: 'fc', type: 'InnerProduct', bottom: ['c'], top: ['fc'], inner_product_param: { num_output: 5 } },
      ),
    );
    expect(r.layers.map((l) => l.params)).toEqual([0, 4 * 3 * 9 + 4, 0, 8, 0, 256 * 5 + 5]);
    expect(r.layers[2].stats).toBe(9);
    expect(r.totals).toEqual({ params: 112 + 8 + 1285, stats: 9, macs: 8 * 8 * 4 * 3 * 9 + 256 * 5 });
    expect(r.outputs).toEqual(['fc']);
  });
  test('errors name the layer and the blob', () => {
    const bad = (...layers: Parameters<typeof net>): (() => NetShapes) => () => inferShapes(net(...layers));
    expect(bad(inputLayer('data', [1, 3]), { name: 'r', type: 'ReLU', bottom: ['dat'], top: ['y'] })).toThrow(
      new NetError('r', "(ReLU) unknown bottom blob 'dat' (bottom 0): no earlier layer in this phase produces it"),
    );
    expect(bad(inputLayer('a', [1, 3]), inputLayer('b', [1, 4]), { name: 'e', type: 'Eltwise', bottom: ['a', 'b'], top: ['y'] })).toThrow(
      /layer 'e': \(Eltwise\) bottoms must have the same shape: 'a' \[1, 3\] vs 'b' \[1, 4\]/,
    );
    expect(bad(inputLayer('a', [1, 3, 2]), inputLayer('b', [1, 4, 3]), { name: 'c', type: 'Concat', bottom: ['a', 'b'], top: ['y'] })).toThrow(
      /layer 'c'.*'b' \[1, 4, 3\]/,
    );
    expect(bad(inputLayer('a', [1, 3]), { name: 'q', type: 'Quux', bottom: ['a'], top: ['y'] })).toThrow(UnsupportedLayerError);
    expect(bad(inputLayer('a', [1, 3]), { name: 'e', type: 'Eltwise', bottom: ['a'], top: ['y'] })).toThrow(/takes at least 2 bottoms, not 1/);
    expect(bad(inputLayer('a', [1, 3]), inputLayer('a', [1, 3]))).toThrow(/top 'a' is already produced/);
    expect(bad(inputLayer('a', [1, 3, 4, 4]), { name: 'p', type: 'Pooling', bottom: ['a'], top: ['a'], pooling_param: { kernel_size: 2 } })).toThrow(
      /cannot compute in place/,
    );
  });
  test('data layers: unknown dims need inputShapes', () => {
    const n = net(
      { name: 'd', type: 'Data', top: ['data', 'label'], data_param: { batch_size: 4 }, transform_param: { crop_size: 8 } },
      { name: 'fc', type: 'InnerProduct', bottom: ['data'], top: ['fc'], inner_product_param: { num_output: 2 } },
    );
    expect(() => inferShapes(n)).toThrow(/bottom 'data' has shape \[4, \?, 8, 8\].*inputShapes\['data'\]/);
    expect(inferShapes(n, { inputShapes: { data: [4, 3, 8, 8] } }).layers[1].params).toBe(3 * 64 * 2 + 2);
    expect(() => inferShapes(n, { inputShapes: { data: [4, 3, 9, 8] } })).toThrow(/disagrees/);
  });
  test('legacy net inputs and inputShapes overrides', () => {
    const n: NetParameter = {
      input: ['data'],
      input_dim: [1, 3, 10, 10],
      layer: [{ name: 'c', type: 'Convolution', bottom: ['data'], top: ['c'], convolution_param: { num_output: 2, kernel_size: [3] } }],
    };
    expect(inferShapes(n).blobs.get('c')).toEqual([1, 2, 8, 8]);
    const r = inferShapes(n, { inputShapes: { data: [5, 3, 20, 20] } });
    expect(r.blobs.get('c')).toEqual([5, 2, 18, 18]);
    // MACs are per image: the batch does not change them.
    expect(r.totals.macs).toBe(18 * 18 * 2 * 3 * 9);
  });
});

interface CaffeShapes {
  blobs: { name: string; shape: number[] }[];
  layers: { name: string; type: string; blobs: number[][] }[];
}
const caffe = JSON.parse(fs.readFileSync(path.join(FIX, 'caffe-shapes.json'), 'utf8')) as Record<string, CaffeShapes>;

/** Caffe's automatic split blobs: blob_producer_topindex_split_j for each extra consumer. */
function splitBlobs(r: NetShapes): Map<string, number[]> {
  const producer = new Map<string, { key: string; shape: number[] }>();
  const uses = new Map<string, { blob: string; shape: number[]; n: number }>();
  for (const l of r.layers) {
    for (const b of l.bottoms) {
      const p = producer.get(b)!;
      const u = uses.get(p.key) ?? { blob: b, shape: p.shape, n: 0 };
      u.n++;
      uses.set(p.key, u);
    }
    l.tops.forEach((t, i) => producer.set(t, { key: `${t}_${l.name}_${i}`, shape: l.outputShapes[i] }));
  }
  const out = new Map<string, number[]>();
  for (const [key, u] of uses) if (u.n > 1) for (let j = 0; j < u.n; j++) out.set(`${key}_split_${j}`, u.shape);
  return out;
}

describe.each(NETS)('official %s against real Caffe', (name) => {
  const r = inferShapes(readNet(path.join(FIX, 'senet-official', `${name}.prototxt`)));
  test('every blob shape of the forward pass', () => {
    const splits = splitBlobs(r);
    const ours = new Map([...r.blobs, ...splits]);
    expect(ours.size).toBe(caffe[name].blobs.length);
    for (const b of caffe[name].blobs) expect([b.name, ours.get(b.name)]).toEqual([b.name, b.shape]);
  });
  test('every stored blob shape', () => {
    const withBlobs = r.layers.filter((l) => l.blobShapes.length > 0);
    expect(withBlobs.map((l) => ({ name: l.name, type: l.type, blobs: l.blobShapes }))).toEqual(caffe[name].layers);
  });
});

describe('official totals', () => {
  const total = (n: string): NetShapes['totals'] => inferShapes(readNet(path.join(FIX, 'senet-official', `${n}.prototxt`))).totals;
  test('SE-ResNet-50: 28,088,024 params, 3.86 G MACs', () => {
    const t = total('SE-ResNet-50');
    expect(t.params).toBe(28_088_024);
    expect((t.macs / 1e9).toPrecision(3)).toBe('3.86');
    expect(t.macs).toBe(3_860_488_192);
    // 53 BatchNorm layers: 2C + 1 statistics each, kept out of params.
    expect(t.stats).toBe(53_173);
  });
  test('SENet-154: 115,088,984 params, 20.69 G MACs', () => {
    const t = total('SENet-154');
    expect(t.params).toBe(115_088_984);
    expect((t.macs / 1e9).toFixed(2)).toBe('20.69');
    expect(t.macs).toBe(20_688_363_520);
  });
});

describeShared('official prototxts in ../shared', () => {
  test.each(NETS)('%s is the fixture copy', (name) => {
    const a = fs.readFileSync(sharedPath('reference', 'senet-official', `${name}.prototxt`));
    expect(a.equals(fs.readFileSync(path.join(FIX, 'senet-official', `${name}.prototxt`)))).toBe(true);
  });
});
