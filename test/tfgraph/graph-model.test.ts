import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ModelMetadata } from '../../src/model-metadata';
import { GraphBuilder, GraphBuildError, OutputExistsError, writeGraphModel } from '../../src/tfgraph';
import { initBackend, BackendName } from '../../src/runtime/backend';
import { loadModel } from '../../src/runtime/load';
import { runModel } from '../../src/runtime/run';
import { maxAbsDiff, packGroupedFilter, randomArray, refConv, refDepthwise, refMatMul, refPool, refSoftmax, nhwcToNchw, Arr } from './reference';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-tfgraph-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
async function buildAndRun(g: GraphBuilder, input: Arr, outputs?: string[], metadata?: ModelMetadata) {
  const dir = path.join(tmp, `m${counter++}`);
  writeGraphModel(dir, g, { metadata });
  const loaded = await loadModel(dir);
  return { loaded, result: runModel(loaded, input, { outputs }) };
}

const x0 = randomArray([2, 9, 10, 6], 7);
const convW = randomArray([3, 3, 6, 8], 11);
const dwW = randomArray([3, 3, 6, 2], 13);
const fcW = randomArray([9 * 10 * 6, 7], 17);
const fcB = randomArray([7], 19);
const convB = randomArray([8], 23);

function opsGraph(): GraphBuilder {
  const g = new GraphBuilder();
  const x = g.placeholder('data', [-1, 9, 10, 6]);
  const c = g.conv2d(x, convW, { name: 'conv', strides: [2, 1], pads: [1, 2, 0, 1] });
  g.output(g.biasAdd(c, convB, { name: 'conv_bias' }));
  g.output(g.depthwiseConv2d(x, dwW, { name: 'dw', strides: [2, 2], pads: [1, 1, 1, 1] }));
  g.output(g.maxPool(x, { name: 'maxpool', kernel: [3, 3], strides: [2, 2], pads: [0, 1, 0, 1] }));
  g.output(g.avgPool(x, { name: 'avgpool', kernel: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] }));
  const flat = g.reshape(x, [-1, 540], { name: 'flat' });
  const fc = g.biasAdd(g.matMul(flat, fcW, { name: 'fc' }), fcB, { name: 'fc_bias' });
  g.output(g.softmax(fc, { name: 'prob' }));
  const cat = g.concat([x, g.relu(x, { name: 'relu' })], 3, { name: 'cat' });
  const parts = g.splitV(cat, [4, 4, 4], -1, { name: 'split' });
  g.output(parts[1], 'split_1');
  g.output(parts[2], 'split_2');
  const v = g.splitV(x, [1, 5], 3, { name: 'splitv' });
  g.output(v[1], 'splitv_1');
  return g;
}

function refSlice(x: Arr, from: number, to: number): Arr {
  const [N, H, W, C] = x.shape;
  const c2 = to - from;
  const out = new Float32Array(N * H * W * c2);
  for (let p = 0; p < N * H * W; p++) for (let c = 0; c < c2; c++) out[p * c2 + c] = x.data[p * C + from + c];
  return { data: out, shape: [N, H, W, c2] };
}

describe.each<BackendName>(['cpu', 'wasm'])('hand-built graphs on %s', (backend) => {
  beforeAll(async () => {
    const info = await initBackend(backend);
    expect(info.tf.getBackend()).toBe(backend);
  });

  test('conv (asymmetric pads), depthwise, pooling, MatMul+BiasAdd+Softmax, ConcatV2, SplitV', async () => {
    const { loaded, result } = await buildAndRun(opsGraph(), x0, [
      'conv_bias', 'dw', 'maxpool', 'avgpool', 'prob', 'split:1', 'split:2', 'splitv:1',
    ]);
    expect(loaded.model.inputs.map((i) => [i.name, i.shape])).toEqual([['data', [-1, 9, 10, 6]]]);
    expect(loaded.model.outputs.map((o) => o.name)).toEqual(['conv_bias', 'dw', 'maxpool', 'avgpool', 'prob', 'split', 'split', 'splitv']);

    // concat(x, relu(x)) along channels, built by hand.
    const cat: Arr = { data: new Float32Array(x0.data.length * 2), shape: [2, 9, 10, 12] };
    for (let p = 0; p < 2 * 9 * 10; p++) for (let c = 0; c < 6; c++) {
      cat.data[p * 12 + c] = x0.data[p * 6 + c];
      cat.data[p * 12 + 6 + c] = Math.max(0, x0.data[p * 6 + c]);
    }
    const conv = refConv(x0, convW, { strides: [2, 1], pads: [1, 2, 0, 1] });
    for (let i = 0; i < conv.data.length; i++) conv.data[i] += convB.data[i % 8];
    const checks: [string, Arr][] = [
      ['conv_bias', conv],
      ['dw', refDepthwise(x0, dwW, { strides: [2, 2], pads: [1, 1, 1, 1] })],
      ['maxpool', refPool(x0, 'max', [3, 3], [2, 2], [0, 1, 0, 1])],
      ['avgpool', refPool(x0, 'avg', [2, 2], [2, 2], [1, 1, 1, 1])],
      ['split:1', refSlice(cat, 4, 8)],
      ['split:2', refSlice(cat, 8, 12)],
      ['splitv:1', refSlice(x0, 1, 6)],
    ];
    const fc = refMatMul({ data: x0.data, shape: [2, 540] }, fcW);
    for (let i = 0; i < fc.data.length; i++) fc.data[i] += fcB.data[i % 7];
    checks.push(['prob', refSoftmax(fc)]);
    for (const [name, ref] of checks) {
      expect([name, result[name].shape]).toEqual([name, ref.shape]);
      const err = maxAbsDiff(result[name].data, ref.data);
      expect([name, err < 1e-5]).toEqual([name, true]);
    }
    loaded.model.dispose();
  });

  test('NCHW boundary from metadata', async () => {
    const g = new GraphBuilder();
    const x = g.placeholder('data', [-1, 9, 10, 6]);
    g.output(g.conv2d(x, convW, { name: 'conv', pads: [1, 1, 1, 1] }));
    const md: ModelMetadata = {
      senetMetadataVersion: 2, inputName: 'data', inputLayout: 'NHWC', inputShape: [-1, 9, 10, 6], caffeInputShape: [-1, 6, 9, 10],
      tensorLayout: 'NHWC', outputNames: ['conv'], blobToTensor: { conv1: 'conv' },
    };
    const xNchw = nhwcToNchw(x0);
    const { loaded, result } = await buildAndRun(g, xNchw, ['conv1', 'data'], md);
    const ref = nhwcToNchw(refConv(x0, convW, { pads: [1, 1, 1, 1] }));
    expect(result.conv1.shape).toEqual([2, 8, 9, 10]);
    expect(maxAbsDiff(result.conv1.data, ref.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(result.data.data, xNchw.data)).toBe(0);
    expect(loaded.metadata?.inputName).toBe('data');
    expect(() => runModel(loaded, { data: new Float32Array(6 * 9 * 9), shape: [1, 6, 9, 9] })).toThrow(/expects NCHW \[\?,6,9,10\]/);
    expect(() => runModel(loaded, xNchw, { outputs: ['nope'] })).toThrow(/no tensor or blob named 'nope'/);
    loaded.model.dispose();
  });

  test('elementwise, activations, reductions, Transpose, Slice, PadV2', async () => {
    const g = new GraphBuilder();
    const x = g.placeholder('x', [-1, 3, 4, 5]);
    const alpha = randomArray([5], 5);
    const k = g.constFloat('k', Float32Array.from([0.5, 2, -1, 3, 1.5]), [5]);
    const pos = g.add(g.abs(x), g.scalar('one', 1), { name: 'pos' }); // >= 1, safe for pow
    const ops: [string, (v: number, c: number) => number][] = [
      ['relu', (v) => Math.max(0, v)],
      ['lrelu', (v) => (v > 0 ? v : 0.1 * v)],
      ['prelu', (v, c) => (v > 0 ? v : alpha.data[c] * v)],
      ['elu', (v) => (v > 0 ? v : Math.exp(v) - 1)],
      ['sigmoid', (v) => 1 / (1 + Math.exp(-v))],
      ['tanh', (v) => Math.tanh(v)],
      ['exp', (v) => Math.exp(v)],
      ['square', (v) => v * v],
      ['pow', (v, c) => Math.pow(Math.abs(v) + 1, [0.5, 2, -1, 3, 1.5][c])],
      ['add', (v, c) => v + [0.5, 2, -1, 3, 1.5][c]],
      ['sub', (v, c) => v - [0.5, 2, -1, 3, 1.5][c]],
      ['mul', (v, c) => v * [0.5, 2, -1, 3, 1.5][c]],
      ['maximum', (v, c) => Math.max(v, [0.5, 2, -1, 3, 1.5][c])],
    ];
    g.output(g.relu(x, { name: 'relu' }));
    g.output(g.leakyRelu(x, 0.1, { name: 'lrelu' }));
    g.output(g.prelu(x, alpha, { name: 'prelu' }));
    g.output(g.elu(x, { name: 'elu' }));
    g.output(g.sigmoid(x, { name: 'sigmoid' }));
    g.output(g.tanh(x, { name: 'tanh' }));
    g.output(g.exp(x, { name: 'exp' }));
    g.output(g.square(x, { name: 'square' }));
    g.output(g.pow(pos, k, { name: 'pow' }));
    g.output(g.add(x, k, { name: 'add' }));
    g.output(g.sub(x, k, { name: 'sub' }));
    g.output(g.mul(x, k, { name: 'mul' }));
    g.output(g.maximum(x, k, { name: 'maximum' }));
    const mean = g.output(g.mean(x, [1, 2], true, { name: 'mean' }));
    const mx = g.output(g.max(x, [3], false, { name: 'max' }));
    const sm = g.output(g.sum(x, [-1], false, { name: 'sum' }));
    const tr = g.output(g.transpose(x, [0, 3, 1, 2], { name: 'tr' }));
    const sl = g.output(g.slice(x, [0, 1, 0, 2], [-1, 2, 4, 3], { name: 'slice' }));
    const pv = g.output(g.padV2(x, [[0, 0], [1, 0], [0, 2], [0, 0]], -7, { name: 'padv2' }));
    expect([mean.shape, mx.shape, sm.shape, tr.shape, sl.shape, pv.shape]).toEqual([
      [-1, 1, 1, 5], [-1, 3, 4], [-1, 3, 4], [-1, 5, 3, 4], [-1, 2, 4, 3], [-1, 4, 6, 5],
    ]);
    const xin = randomArray([2, 3, 4, 5], 99);
    const at = (n: number, h: number, w: number, c: number): number => xin.data[((n * 3 + h) * 4 + w) * 5 + c];
    const names = [...ops.map((o) => o[0]), 'mean', 'max', 'sum', 'tr', 'slice', 'padv2'];
    const { loaded, result } = await buildAndRun(g, xin, names);
    for (const [name, f] of ops) {
      const ref = xin.data.map((v, i) => f(v, i % 5));
      expect([name, maxAbsDiff(result[name].data, ref) < 1e-5]).toEqual([name, true]);
    }
    const refs: Record<string, number[]> = { mean: [], max: [], sum: [], tr: [], slice: [], padv2: [] };
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 5; c++) {
        let s = 0;
        for (let h = 0; h < 3; h++) for (let w = 0; w < 4; w++) s += at(n, h, w, c);
        refs.mean.push(s / 12);
      }
      for (let h = 0; h < 3; h++) for (let w = 0; w < 4; w++) {
        let m = -Infinity;
        let s = 0;
        for (let c = 0; c < 5; c++) {
          m = Math.max(m, at(n, h, w, c));
          s += at(n, h, w, c);
        }
        refs.max.push(m);
        refs.sum.push(s);
      }
      for (let c = 0; c < 5; c++) for (let h = 0; h < 3; h++) for (let w = 0; w < 4; w++) refs.tr.push(at(n, h, w, c));
      for (let h = 1; h < 3; h++) for (let w = 0; w < 4; w++) for (let c = 2; c < 5; c++) refs.slice.push(at(n, h, w, c));
      for (let h = -1; h < 3; h++) for (let w = 0; w < 6; w++) for (let c = 0; c < 5; c++) refs.padv2.push(h < 0 || w >= 4 ? -7 : at(n, h, w, c));
    }
    for (const [name, ref] of Object.entries(refs)) {
      expect([name, maxAbsDiff(result[name].data, Float32Array.from(ref)) < 1e-5]).toEqual([name, true]);
    }
    loaded.model.dispose();
  });

  test.each([
    { G: 2, C: 4, O: 6, k: 3, strides: [1, 1], pads: [1, 1, 1, 1], dil: [1, 1], H: 7 },
    { G: 32, C: 64, O: 64, k: 3, strides: [2, 2], pads: [1, 1, 1, 1], dil: [1, 1], H: 8 },
    { G: 64, C: 64, O: 128, k: 3, strides: [1, 1], pads: [0, 2, 1, 0], dil: [1, 1], H: 6 },
    { G: 4, C: 8, O: 12, k: 3, strides: [1, 1], pads: [2, 2, 2, 2], dil: [2, 2], H: 7 },
    { G: 3, C: 6, O: 3, k: 1, strides: [2, 2], pads: [0, 0, 0, 0], dil: [1, 1], H: 5 },
  ] as const)('grouped conv G=$G C=$C O=$O strides=$strides pads=$pads dil=$dil', async (c) => {
    const x = randomArray([2, c.H, c.H + 1, c.C], c.G * 31 + c.O);
    const w = randomArray([c.k, c.k, c.C / c.G, c.O], c.C * 7 + 1);
    const opts = { strides: c.strides, pads: c.pads, dilations: c.dil } as const;
    const ref = refConv(x, w, { ...opts, strides: [...c.strides], pads: [...c.pads], dilations: [...c.dil], groups: c.G });
    const g = new GraphBuilder();
    const inp = g.placeholder('x', [-1, c.H, c.H + 1, c.C]);
    const a = g.output(g.groupedConv2dPacked(inp, packGroupedFilter(w, c.G), { ...opts, groups: c.G, name: 'dw_form' }));
    expect(a.shape).toEqual([-1, ...ref.shape.slice(1)]);
    const { loaded, result } = await buildAndRun(g, x, ['dw_form']);
    expect(result.dw_form.shape).toEqual(ref.shape);
    const err = maxAbsDiff(result.dw_form.data, ref.data);
    expect(err).toBeLessThan(1e-5);
    loaded.model.dispose();
  });

  test('fused ops: _FusedConv2D, FusedDepthwiseConv2dNative, _FusedMatMul with bias and Relu / LeakyRelu', async () => {
    const g = new GraphBuilder();
    const x = g.placeholder('data', [-1, 9, 10, 6]);
    const copts = { strides: [2, 1] as [number, number], pads: [1, 2, 0, 1] as [number, number, number, number] };
    g.output(g.fusedConv2d(x, convW, convB, { ...copts, name: 'fc_lin' }));
    g.output(g.fusedConv2d(x, convW, convB, { ...copts, name: 'fc_relu', activation: { op: 'Relu' } }));
    g.output(g.fusedConv2d(x, convW, convB, { ...copts, name: 'fc_leaky', activation: { op: 'LeakyRelu', alpha: 0.3 } }));
    const dwB = randomArray([12], 29);
    g.output(g.fusedDepthwiseConv2d(x, dwW, dwB, { name: 'fdw_relu', strides: [2, 2], pads: [1, 1, 1, 1], activation: { op: 'Relu' } }));
    const flat = g.reshape(x, [-1, 540], { name: 'flat' });
    g.output(g.fusedMatMul(flat, fcW, fcB, { name: 'fmm_relu', activation: { op: 'Relu' } }));
    g.output(g.fusedMatMul(flat, fcW, fcB, { name: 'fmm_leaky', activation: { op: 'LeakyRelu', alpha: 0.05 } }));
    const names = ['fc_lin', 'fc_relu', 'fc_leaky', 'fdw_relu', 'fmm_relu', 'fmm_leaky'];
    const { loaded, result } = await buildAndRun(g, x0, names);

    const withBias = (r: Arr, b: Arr, f: (v: number) => number): Arr => ({ shape: r.shape, data: r.data.map((v, i) => f(v + b.data[i % b.data.length])) });
    const relu = (v: number): number => Math.max(0, v);
    const leaky = (a: number) => (v: number): number => (v > 0 ? v : a * v);
    const conv = refConv(x0, convW, copts);
    const fc = refMatMul({ data: x0.data, shape: [2, 540] }, fcW);
    const refs: Record<string, Arr> = {
      fc_lin: withBias(conv, convB, (v) => v),
      fc_relu: withBias(conv, convB, relu),
      fc_leaky: withBias(conv, convB, leaky(0.3)),
      fdw_relu: withBias(refDepthwise(x0, dwW, { strides: [2, 2], pads: [1, 1, 1, 1] }), dwB, relu),
      fmm_relu: withBias(fc, fcB, relu),
      fmm_leaky: withBias(fc, fcB, leaky(0.05)),
    };
    for (const name of names) {
      expect([name, result[name].shape]).toEqual([name, refs[name].shape]);
      expect([name, maxAbsDiff(result[name].data, refs[name].data) < 1e-5]).toEqual([name, true]);
    }
    // The activations did something: some values were negative before them.
    expect(refs.fc_lin.data.some((v) => v < 0)).toBe(true);
    loaded.model.dispose();
  });
});

describe('GraphBuilder and writer checks (no backend)', () => {
  test('shape errors name the node', () => {
    const g = new GraphBuilder();
    const x = g.placeholder('data', [-1, 8, 8, 3]);
    expect(() => g.conv2d(x, randomArray([3, 3, 4, 8], 1), { name: 'c1' })).toThrow(GraphBuildError);
    expect(() => g.conv2d(x, randomArray([3, 3, 4, 8], 1), { name: 'c1' })).toThrow("graph node 'c1': filter expects 4 input channels, input has 3");
    expect(() => g.placeholder('data', [1])).toThrow(/already exists/);
    expect(() => g.concat([x, g.reshape(x, [-1, 192])], 1)).toThrow(/differ in rank/);
    expect(() => g.add(x, g.constFloat('k', [1, 2], [2]))).toThrow(/do not broadcast/);
    expect(() => g.conv2d(x, randomArray([3, 3, 3, 8], 1), { strides: [2, 2], dilations: [2, 2] })).toThrow(/strides or dilations/);
  });

  test('attributes are in the TF AttrValue JSON form', () => {
    const g = new GraphBuilder();
    const x = g.placeholder('data', [-1, 8, 8, 3]);
    g.output(g.leakyRelu(g.conv2d(x, randomArray([3, 3, 3, 4], 1), { name: 'c', strides: [2, 2], pads: [0, 1, 0, 1] }), 0.1, { name: 'lr' }));
    const nodes = Object.fromEntries(g.nodeDefs.map((n) => [n.name, n]));
    expect(nodes.data.attr).toEqual({ dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '8' }, { size: '8' }, { size: '3' }] } } });
    expect(nodes.c.input).toEqual(['data', 'c/filter']);
    expect(nodes.c.attr?.strides).toEqual({ list: { i: ['1', '2', '2', '1'] } });
    expect(nodes.c.attr?.padding).toEqual({ s: Buffer.from('EXPLICIT').toString('base64') });
    expect(nodes.c.attr?.explicit_paddings).toEqual({ list: { i: ['0', '0', '0', '1', '0', '1', '0', '0'] } });
    expect(nodes.lr.attr?.alpha).toEqual({ f: 0.1 });
    expect(nodes['c/filter'].attr?.value).toEqual({ tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '3' }, { size: '3' }, { size: '3' }, { size: '4' }] } } });
  });

  test('fused ops carry num_args, fused_ops and leakyrelu_alpha; bias and activation are checked', () => {
    const g = new GraphBuilder();
    const x = g.placeholder('data', [-1, 8, 8, 3]);
    const w = randomArray([3, 3, 3, 4], 1);
    const b = randomArray([4], 2);
    g.fusedConv2d(x, w, b, { name: 'c', activation: { op: 'LeakyRelu', alpha: 0.25 } });
    g.fusedConv2d(x, w, b, { name: 'c2' });
    const nodes = Object.fromEntries(g.nodeDefs.map((n) => [n.name, n]));
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    expect(nodes.c.op).toBe('_FusedConv2D');
    expect(nodes.c.input).toEqual(['data', 'c/filter', 'c/bias']);
    expect(nodes.c.attr?.num_args).toEqual({ i: '1' });
    expect(nodes.c.attr?.fused_ops).toEqual({ list: { s: [b64('BiasAdd'), b64('LeakyRelu')] } });
    expect(nodes.c.attr?.leakyrelu_alpha).toEqual({ f: 0.25 });
    expect(nodes.c2.attr?.fused_ops).toEqual({ list: { s: [b64('BiasAdd')] } });
    expect(nodes.c2.attr?.leakyrelu_alpha).toBeUndefined();
    expect(() => g.fusedConv2d(x, w, randomArray([5], 3), { name: 'c3' })).toThrow("graph node 'c3': bias has 5 values, the output has 4 channels");
    expect(() => g.fusedDepthwiseConv2d(x, randomArray([3, 3, 3, 1], 4), randomArray([3], 5), { name: 'd', activation: { op: 'LeakyRelu', alpha: 0.1 } })).toThrow(/LeakyRelu cannot be fused/);
  });

  test('shards of at most 4 MiB, manifest, signature, atomic write and force', () => {
    const g = new GraphBuilder();
    const x = g.placeholder('data', [-1, 1000]);
    const big = randomArray([1000, 2500], 3); // 10 MB -> 3 shards
    g.output(g.matMul(x, big, { name: 'fc' }), 'logits');
    const dir = path.join(tmp, 'sharded');
    const mj = writeGraphModel(dir, g, { metadata: { note: 'x' } });
    expect(mj.format).toBe('graph-model');
    expect(mj.weightsManifest[0].paths).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    const sizes = mj.weightsManifest[0].paths.map((p) => fs.statSync(path.join(dir, p)).size);
    expect(sizes).toEqual([4194304, 4194304, 10000000 - 2 * 4194304]);
    expect(mj.signature.outputs).toEqual({ logits: { name: 'fc:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: '2500' }] } } });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).userDefinedMetadata).toEqual({ note: 'x' });
    // Shard bytes are the float32 weights in order.
    const s1 = fs.readFileSync(path.join(dir, 'group1-shard1of3.bin'));
    expect(new Float32Array(s1.buffer, s1.byteOffset, 4)).toEqual(big.data.subarray(0, 4));

    expect(() => writeGraphModel(dir, g)).toThrow(OutputExistsError);
    const g2 = new GraphBuilder();
    g2.output(g2.relu(g2.placeholder('data', [-1, 3])));
    writeGraphModel(dir, g2, { force: true });
    expect(fs.readdirSync(dir).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(() => writeGraphModel(path.join(tmp, 'sig'), g2, { metadata: { signature: {} } })).toThrow(/signature/);
    expect(fs.existsSync(path.join(tmp, 'sig'))).toBe(false);
  });
});
