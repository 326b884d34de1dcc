/**
 * Activation fusion: an in-place ReLU after a Convolution or InnerProduct becomes part of the
 * fused op (_FusedConv2D, FusedDepthwiseConv2dNative, _FusedMatMul) when no Caffe blob holds the
 * pre-ReLU value; every blob still matches the reference, on cpu and on wasm.
 */
import { NetBuilder, type Top } from '../../src/builder';
import { convertNet } from '../../src/convert';
import { inferShapes } from '../../src/layers';
import type { BackendName } from '../../src/runtime';
import type { NetParameter } from '../../src/schema';
import { type Arr, type Weights, caffemodelOf, cleanTmp, convertAndCompare, rand } from './helpers';

afterAll(cleanTmp);

const TOL = 2e-4;

function weightsFor(net: NetParameter, seed = 1): Weights {
  const w: Weights = new Map();
  for (const l of inferShapes(net).layers) {
    w.set(
      l.name,
      l.blobShapes.map((shape, i) => {
        const n = shape.reduce((a, b) => a * b, 1);
        if (l.type === 'BatchNorm') return { shape, data: i === 2 ? Float32Array.from([1]) : rand(n, seed++ * 7, i === 1 ? 0.5 : -1, 2) };
        return { shape, data: rand(n, seed++ * 7 + 3) };
      }),
    );
  }
  return w;
}

function net1(name: string, shape: number[], body: (b: NetBuilder, x: Top) => void): NetParameter {
  const b = new NetBuilder(name);
  body(b, b.input('data', shape));
  return b.build();
}

function input(shape: number[]): Arr {
  return { shape, data: rand(shape.reduce((a, b) => a * b, 1), 99, -2, 2) };
}

/** Op and decoded fused_ops of every node, by name. */
function ops(net: NetParameter): Map<string, string> {
  const { graph } = convertNet({ net, weights: caffemodelOf(net, weightsFor(net)), phase: 'TEST' });
  return new Map(graph.nodeDefs.map((n) => {
    const fused = n.attr?.fused_ops;
    const list = fused !== undefined && 'list' in fused ? (fused.list.s ?? []).map((s) => Buffer.from(s, 'base64').toString()) : [];
    return [n.name, list.length > 0 ? `${n.op}[${list.join(',')}]` : n.op];
  }));
}

const opCount = (m: Map<string, string>, op: string): number => [...m.values()].filter((v) => v === op).length;

describe('which activations are fused', () => {
  test('conv + BN + Scale + in-place ReLU: one _FusedConv2D named after the blob', () => {
    const net = net1('f', [1, 3, 6, 6], (b, x) => {
      const c = b.conv('conv1', x, { num_output: 4, kernel_size: 3, pad: 1 });
      b.relu('conv1/relu', b.scale('conv1/scale', b.batchNorm('conv1/bn', c), { bias_term: true }));
    });
    const converted = convertNet({ net, weights: caffemodelOf(net, weightsFor(net)), phase: 'TEST' });
    expect(converted.folded).toEqual(['conv1/bn', 'conv1/scale']);
    expect(converted.fused).toEqual(['conv1/relu']);
    const m = ops(net);
    expect(m.get('conv1')).toBe('_FusedConv2D[BiasAdd,Relu]');
    expect([...m.values()].filter((o) => !['Const', 'Placeholder'].includes(o))).toEqual(['_FusedConv2D[BiasAdd,Relu]']);
  });

  test('not fused: a non-in-place ReLU, a reader of the pre-ReLU value, a non-ReLU activation', () => {
    const net = net1('n', [1, 3, 6, 6], (b, x) => {
      b.relu('r1', b.conv('c1', x, { num_output: 4, kernel_size: 1 }), undefined, false);
      const c2 = b.conv('c2', x, { num_output: 4, kernel_size: 1 });
      b.pool('p2', c2, { pool: 'MAX', kernel_size: 2, stride: 2 });
      b.relu('r2', c2);
      b.add1('TanH', 't3', b.conv('c3', x, { num_output: 4, kernel_size: 1 }), {}, { inPlace: true });
    });
    const converted = convertNet({ net, weights: caffemodelOf(net, weightsFor(net)), phase: 'TEST' });
    expect(converted.fused).toEqual([]);
    const m = ops(net);
    expect(m.get('c1')).toBe('_FusedConv2D[BiasAdd]');
    expect(m.get('r1')).toBe('Relu');
    expect(opCount(m, 'Relu')).toBe(2);
    expect(opCount(m, 'Tanh')).toBe(1);
  });

  test('InnerProduct on [N, K]: _FusedMatMul with the ReLU; LeakyRelu keeps its slope', () => {
    const net = net1('ip', [2, 3, 2, 2], (b, x) => {
      b.relu('relu1', b.fc('fc1', x, { num_output: 5 }), { negative_slope: 0.25 });
    });
    const { graph } = convertNet({ net, weights: caffemodelOf(net, weightsFor(net)), phase: 'TEST' });
    const node = graph.nodeDefs.find((n) => n.name === 'fc1')!;
    expect(node.op).toBe('_FusedMatMul');
    expect(node.attr?.leakyrelu_alpha).toEqual({ f: 0.25 });
    expect(node.attr?.transpose_b).toEqual({ b: false });
  });
});

describe.each<BackendName>(['cpu', 'wasm'])('fused and unfused activations match the reference on %s', (backend) => {
  test.each([
    ['plain conv + BN, ReLU', { num_output: 5, kernel_size: 3, pad: 1, stride: 2 }, true, undefined],
    ['plain conv, leaky ReLU', { num_output: 5, kernel_size: 3, pad: 1 }, false, { negative_slope: 0.1 }],
    ['conv without bias, ReLU (separate node)', { num_output: 5, kernel_size: 3, pad: 1, bias_term: false }, false, undefined],
    ['depthwise + BN, ReLU', { num_output: 8, kernel_size: 3, pad: 1, group: 4 }, true, undefined],
    ['depthwise, leaky ReLU (separate node)', { num_output: 4, kernel_size: 3, pad: 1, group: 4 }, false, { negative_slope: 0.2 }],
    ['group 2 + BN, ReLU (separate node)', { num_output: 6, kernel_size: 3, pad: 1, group: 2 }, true, undefined],
  ] as const)('%s', async (_n, p, bn, r) => {
    const net = net1('c', [2, 4, 7, 6], (b, x) => {
      const c = b.conv('conv', x, { ...p });
      b.relu('relu', bn ? b.batchNorm('bn', c) : c, r ? { ...r } : undefined);
    });
    expect(convertNet({ net, weights: caffemodelOf(net, weightsFor(net)), phase: 'TEST' }).fused).toEqual(['relu']);
    const { worst, got } = await convertAndCompare(net, weightsFor(net), input([2, 4, 7, 6]), ['conv'], { backend });
    expect(worst).toBeLessThan(TOL);
    if (r === undefined) expect(got.conv.data.every((v) => v >= 0)).toBe(true);
    else expect(got.conv.data.some((v) => v < 0)).toBe(true);
  });

  test('blobs around unfused ReLUs keep their pre-ReLU values', async () => {
    const net = net1('n', [2, 3, 6, 6], (b, x) => {
      b.relu('r1', b.conv('c1', x, { num_output: 4, kernel_size: 3, pad: 1 }), undefined, false);
      const c2 = b.conv('c2', x, { num_output: 4, kernel_size: 1 });
      b.pool('p2', c2, { pool: 'MAX', kernel_size: 2, stride: 2 });
      b.relu('r2', c2);
    });
    const { diffs, got } = await convertAndCompare(net, weightsFor(net), input([2, 3, 6, 6]), ['c1', 'r1', 'p2', 'c2'], { backend });
    for (const d of Object.values(diffs)) expect(d).toBeLessThan(TOL);
    expect(got.c1.data.some((v) => v < 0)).toBe(true);
    expect(got.p2.data.some((v) => v < 0)).toBe(true);
  });

  test('InnerProduct + ReLU: on [N, K] (fused), after a 4-D blob (fused), on axis 2 (separate)', async () => {
    const net = net1('ip', [2, 3, 4, 5], (b, x) => {
      const a = b.fc('fc4d', x, { num_output: 6 });
      b.relu('r4d', a);
      const t = b.fc('fc_t', a, { num_output: 4, transpose: true });
      b.relu('r_t', t, { negative_slope: 0.3 });
      b.relu('r_ax2', b.fc('fc_ax2', x, { num_output: 3, axis: 2 }));
      b.relu('r_nb', b.fc('fc_nb', x, { num_output: 3, bias_term: false }));
    });
    const converted = convertNet({ net, weights: caffemodelOf(net, weightsFor(net)), phase: 'TEST' });
    expect(converted.fused).toEqual(['r4d', 'r_t', 'r_ax2', 'r_nb']);
    const { diffs, got } = await convertAndCompare(net, weightsFor(net), input([2, 3, 4, 5]), ['fc4d', 'fc_t', 'fc_ax2', 'fc_nb'], { backend });
    for (const d of Object.values(diffs)) expect(d).toBeLessThan(TOL);
    expect(got.fc4d.data.every((v) => v >= 0)).toBe(true);
    expect(got.fc_t.data.some((v) => v < 0)).toBe(true);
  });
});
