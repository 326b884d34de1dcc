/**
 * Per-layer-type conversion tests: tiny nets, seeded weights, the converted graph on the cpu
 * backend against the NCHW reference of Caffe's forward (src/reference/forward.ts).
 *
 * Window geometry (convolution kernel/stride/pad/dilation/groups, pooling ceil overhang, pad clip,
 * FLOOR, global; InnerProduct axes) is not tested here: the reference takes its output shapes from
 * the same layer handlers as the converter, so a wrong rule would pass. test/parity/geometry.test.ts
 * checks it against blobs real Caffe computed (test/fixtures/geometry).
 */
import { NetBuilder, type Top } from '../../src/builder';
import { convertNet } from '../../src/convert';
import { inferShapes } from '../../src/layers';
import type { NetParameter } from '../../src/schema';
import { type Arr, type Weights, caffemodelOf, cleanTmp, convertAndCompare, rand } from './helpers';

afterAll(cleanTmp);

/** Seeded weights of every learnable blob; BatchNorm gets positive variances and a scale factor. */
function weightsFor(net: NetParameter, seed = 1, bnFactor = 1): Weights {
  const w: Weights = new Map();
  for (const l of inferShapes(net).layers) {
    if (l.blobShapes.length === 0) continue;
    w.set(
      l.name,
      l.blobShapes.map((shape, i) => {
        const n = shape.reduce((a, b) => a * b, 1);
        if (l.type === 'BatchNorm') {
          if (i === 2) return { shape, data: Float32Array.from([bnFactor]) };
          return { shape, data: i === 1 ? rand(n, seed++ * 7, 0.5, 2).map((v) => v * bnFactor) : rand(n, seed++ * 7).map((v) => v * bnFactor) };
        }
        return { shape, data: rand(n, seed++ * 7 + 3) };
      }),
    );
  }
  return w;
}

function input(shape: number[], seed = 99): Arr {
  return { shape, data: rand(shape.reduce((a, b) => a * b, 1), seed, -2, 2) };
}

const TOL = 2e-4;

function net1(name: string, shape: number[], body: (b: NetBuilder, x: Top) => void): NetParameter {
  const b = new NetBuilder(name);
  body(b, b.input('data', shape));
  return b.build();
}

describe('convolution', () => {
  test('stride and dilation together are refused with the layer named', () => {
    const net = net1('c', [1, 2, 9, 9], (b, x) => b.conv('bad', x, { num_output: 2, kernel_size: 3, stride: 2, dilation: 2 }));
    expect(() => convertNet({ net, weights: caffemodelOf(net, weightsFor(net)), phase: 'TEST' })).toThrow(/layer 'bad' of type 'Convolution'.*stride/);
  });
});

describe('BatchNorm and Scale', () => {
  function bnNet(inPlace: boolean): NetParameter {
    return net1('bn', [2, 3, 6, 5], (b, x) => {
      const c = b.conv('conv1', x, { num_output: 4, kernel_size: 3, pad: 1 });
      const n = b.batchNorm('conv1/bn', c, {}, {}, inPlace);
      const s = b.scale('conv1/scale', n, { bias_term: true }, {}, inPlace);
      b.relu('conv1/relu', s);
    });
  }

  test.each([1, 0, 999.982])('folded into the convolution, scale factor %p', async (factor) => {
    const net = bnNet(true);
    const w = weightsFor(net, 3, factor);
    const converted = convertNet({ net, weights: caffemodelOf(net, w), phase: 'TEST' });
    expect(converted.folded).toEqual(['conv1/bn', 'conv1/scale']);
    const { worst } = await convertAndCompare(net, w, input([2, 3, 6, 5]), ['conv1']);
    expect(worst).toBeLessThan(TOL);
  });

  test('not in place: unfolded, every blob as Caffe has it', async () => {
    const net = bnNet(false);
    const w = weightsFor(net, 3, 999.982);
    const converted = convertNet({ net, weights: caffemodelOf(net, w), phase: 'TEST' });
    expect(converted.folded).toEqual([]);
    const { worst } = await convertAndCompare(net, w, input([2, 3, 6, 5]), ['conv1', 'conv1/bn', 'conv1/scale']);
    expect(worst).toBeLessThan(TOL);
  });

  test('folded equals unfolded', async () => {
    const a = bnNet(true);
    const w = weightsFor(a, 5, 3.5);
    const b = bnNet(false);
    const x = input([2, 3, 6, 5]);
    const r1 = await convertAndCompare(a, w, x, ['conv1']);
    const r2 = await convertAndCompare(b, w, x, ['conv1/scale']);
    const d = r1.got.conv1.data.map((v, i) => Math.abs(v - r2.got['conv1/scale'].data[i]));
    expect(Math.max(...d)).toBeLessThan(TOL);
  });

  test('BatchNorm on a 2-D blob, eps', async () => {
    const net = net1('bn2', [3, 6], (b, x) => {
      b.batchNorm('bn', x, { eps: 0.01 }, {}, false);
    });
    const { worst } = await convertAndCompare(net, weightsFor(net, 2, 2), input([3, 6]), ['bn']);
    expect(worst).toBeLessThan(TOL);
  });

  test('Scale axis 2, num_axes 2 (learned), with bias', async () => {
    const net = net1('s', [2, 3, 4, 5], (b, x) => {
      b.scale('sc', x, { axis: 2, num_axes: 2, bias_term: true }, {}, false);
    });
    const { worst } = await convertAndCompare(net, weightsFor(net), input([2, 3, 4, 5]), ['sc']);
    expect(worst).toBeLessThan(TOL);
  });

  test('two-bottom Scale, axis 0 (SE gate on [N, C])', async () => {
    const net = net1('s2', [2, 3, 4, 5], (b, x) => {
      const g = b.pool('gap', x, { pool: 'AVE', global_pooling: true });
      const f = b.add1('Flatten', 'flat', g);
      const s = b.sigmoid('gate', f);
      b.scale('sc', [x, s], { axis: 0 });
    });
    const { worst } = await convertAndCompare(net, new Map(), input([2, 3, 4, 5]), ['sc', 'flat', 'gate']);
    expect(worst).toBeLessThan(TOL);
  });

  test('Bias, learned and two-bottom', async () => {
    const net = net1('bias', [2, 3, 4, 5], (b, x) => {
      const y = b.add1('Bias', 'b1', x, { bias_param: { axis: 1, num_axes: 1 } });
      const gap = b.pool('gap', y, { pool: 'MAX', global_pooling: true });
      const f = b.add1('Flatten', 'flat', gap);
      b.add1('Bias', 'b2', [y, f], { bias_param: { axis: 0 } });
    });
    const { worst } = await convertAndCompare(net, weightsFor(net), input([2, 3, 4, 5]), ['b1', 'b2']);
    expect(worst).toBeLessThan(TOL);
  });
});

describe('InnerProduct, Reshape, Flatten', () => {
  test('InnerProduct after a 4-D blob (weights permuted, no runtime transpose)', async () => {
    const net = net1('ip', [2, 3, 4, 5], (b, x) => b.fc('fc', x, { num_output: 7 }));
    const converted = convertNet({ net, weights: caffemodelOf(net, weightsFor(net)), phase: 'TEST' });
    expect(converted.graph.nodeDefs.filter((n) => n.op === 'Transpose')).toEqual([]);
    const { worst } = await convertAndCompare(net, weightsFor(net), input([2, 3, 4, 5]), ['fc']);
    expect(worst).toBeLessThan(TOL);
  });

  test('Reshape / Flatten follow Caffe element order (NCHW), also back to 4-D', async () => {
    const net = net1('rs', [2, 3, 4, 5], (b, x) => {
      const f = b.add1('Flatten', 'flat', x);
      b.reshape('back', f, { shape: { dim: [0, 5, 4, 3] } });
      b.reshape('r3', x, { shape: { dim: [0, -1, 10] } });
      b.add1('Flatten', 'flat23', x, { flatten_param: { axis: 2 } });
      b.reshape('same', x, { shape: { dim: [0, 3, 20, 1] } });
    });
    const { worst, diffs } = await convertAndCompare(net, new Map(), input([2, 3, 4, 5]), ['flat', 'back', 'r3', 'flat23', 'same']);
    expect(diffs).toEqual({ flat: 0, back: 0, r3: 0, flat23: 0, same: 0 });
    expect(worst).toBe(0);
  });
});

describe('structure and elementwise', () => {
  test('Eltwise SUM with coeff, PROD, MAX; Concat; Slice; Split', async () => {
    const net = net1('el', [2, 6, 3, 4], (b, x) => {
      const a = b.conv('a', x, { num_output: 6, kernel_size: 1 });
      const c = b.conv('c', x, { num_output: 6, kernel_size: 1 });
      b.eltwise('sum', [a, c, x], { operation: 'SUM', coeff: [0.5, -2, 1] });
      b.eltwise('prod', [a, c], { operation: 'PROD' });
      b.eltwise('max', [a, c, x], { operation: 'MAX' });
      b.concat('cat', [a, x, c]);
      b.concat('cat_h', [a, c], { axis: 2 });
      b.add('Slice', 'slice', x, { slice_param: { axis: 1, slice_point: [1, 4] } }, { tops: ['s0', 's1', 's2'] });
      b.add('Slice', 'slice_w', x, { slice_param: { axis: 3 } }, { tops: ['w0', 'w1'] });
      b.add('Split', 'split', x, {}, { tops: ['x_a', 'x_b'] });
    });
    const { diffs } = await convertAndCompare(net, weightsFor(net), input([2, 6, 3, 4]), ['sum', 'prod', 'max', 'cat', 'cat_h', 's0', 's1', 's2', 'w0', 'w1', 'x_a', 'x_b']);
    for (const d of Object.values(diffs)) expect(d).toBeLessThan(TOL);
  });

  test('Axpy (SE-ResNeXt style gate)', async () => {
    const net = net1('axpy', [2, 4, 5, 5], (b, x) => {
      const gap = b.pool('gap', x, { pool: 'AVE', global_pooling: true });
      const s = b.sigmoid('gate', gap);
      const y = b.conv('res', x, { num_output: 4, kernel_size: 1 });
      b.axpy('axpy', s, x, y);
    });
    const { worst } = await convertAndCompare(net, weightsFor(net), input([2, 4, 5, 5]), ['axpy']);
    expect(worst).toBeLessThan(TOL);
  });

  test('Softmax on channels, on axis 2, and on a 2-D blob', async () => {
    const net = net1('sm', [2, 5, 3, 4], (b, x) => {
      b.softmax('prob', x);
      b.softmax('prob_h', x, { axis: 2 });
      const f = b.fc('fc', x, { num_output: 10 });
      b.softmax('prob2', f);
    });
    const { worst } = await convertAndCompare(net, weightsFor(net), input([2, 5, 3, 4]), ['prob', 'prob_h', 'prob2']);
    expect(worst).toBeLessThan(1e-5);
  });

  test('LRN across and within channels', async () => {
    const net = net1('lrn', [2, 7, 5, 6], (b, x) => {
      b.add1('LRN', 'lrn', x, { lrn_param: { local_size: 5, alpha: 0.3, beta: 0.75, k: 2 } });
      b.add1('LRN', 'lrn_w', x, { lrn_param: { local_size: 3, alpha: 0.5, beta: 0.75, norm_region: 'WITHIN_CHANNEL' } });
    });
    const { worst } = await convertAndCompare(net, new Map(), input([2, 7, 5, 6]), ['lrn', 'lrn_w']);
    expect(worst).toBeLessThan(1e-5);
  });

  test('neurons: ReLU slope, PReLU, ELU, Sigmoid, TanH, AbsVal, Power, Dropout', async () => {
    const net = net1('act', [2, 3, 4, 4], (b, x) => {
      b.relu('leaky', x, { negative_slope: 0.1 }, false);
      b.add1('PReLU', 'prelu', x);
      b.add1('PReLU', 'prelu_s', x, { prelu_param: { channel_shared: true } });
      b.add1('ELU', 'elu', x, { elu_param: { alpha: 0.5 } });
      b.add1('ELU', 'elu1', x);
      b.add1('TanH', 'tanh', x);
      b.add1('AbsVal', 'abs', x);
      const a = b.add1('AbsVal', 'abs2', x);
      b.add1('Power', 'pow', a, { power_param: { power: 1.5, scale: 2, shift: 0.5 } });
      b.dropout('drop', x, { dropout_ratio: 0.5 }, false);
    });
    const { diffs } = await convertAndCompare(net, weightsFor(net), input([2, 3, 4, 4]), ['leaky', 'prelu', 'prelu_s', 'elu', 'elu1', 'tanh', 'abs', 'pow', 'drop']);
    for (const d of Object.values(diffs)) expect(d).toBeLessThan(1e-5);
  });
});

describe('blob names', () => {
  test('a blob is its value after the last in-place writer; the batch is free', async () => {
    const net = net1('names', [1, 3, 8, 8], (b, x) => {
      const c = b.conv('conv1', x, { num_output: 4, kernel_size: 3, pad: 1 });
      const n = b.batchNorm('conv1/bn', c);
      const s = b.scale('conv1/scale', n, { bias_term: true });
      const r = b.relu('conv1/relu', s);
      const p = b.pool('pool1', r, { pool: 'MAX', kernel_size: 3, stride: 2 });
      const f = b.fc('fc', p, { num_output: 5 });
      b.softmax('prob', f);
    });
    const w = weightsFor(net, 11, 4);
    // batch 3 although the net says 1
    const { diffs, got } = await convertAndCompare(net, w, input([3, 3, 8, 8]), ['conv1', 'pool1', 'prob']);
    expect(got.conv1.data.every((v) => v >= 0)).toBe(true); // after the ReLU
    for (const d of Object.values(diffs)) expect(d).toBeLessThan(TOL);
  });
});

describe('on wasm', () => {
  test('conv group 2, AVE pooling with overhang, folding', async () => {
    const net = net1('w', [2, 4, 11, 11], (b, x) => {
      const c = b.conv('conv', x, { num_output: 6, kernel_size: 3, pad: 1, group: 2 });
      const n = b.batchNorm('bn', c);
      b.scale('sc', n, { bias_term: true });
      b.pool('pool', c, { pool: 'AVE', kernel_size: 3, stride: 2 });
    });
    const { worst } = await convertAndCompare(net, weightsFor(net, 9, 999.982), input([2, 4, 11, 11]), ['conv', 'pool'], { backend: 'wasm' });
    expect(worst).toBeLessThan(TOL);
  });
});
