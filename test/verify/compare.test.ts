import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareBlobs, DEFAULT_ATOL, DEFAULT_RTOL, formatParityTable, parityJunit, splitSource, type BlobArray } from '../../src/verify';
import { PARITY_DIR } from '../parity/harness';
import { initBackend } from '../../src/runtime';
import { convertAndOpen, readReference, runParity } from '../../src/verify/parity';
import { readNpy, toFloat32 } from '../../src/runtime/npy';
import { checkJunit } from './junit-check';

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

function softmaxRows(x: Float32Array, rows: number): Float32Array {
  const c = x.length / rows;
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += out[r * c + k] = Math.exp(x[r * c + k]);
    for (let k = 0; k < c; k++) out[r * c + k] /= s;
  }
  return out;
}

describe('compare engine (synthetic blobs)', () => {
  const order = [
    { name: 'data', layers: [] },
    { name: 'conv1', layers: ['conv1', 'conv1/bn', 'conv1/relu'] },
    { name: 'fc', layers: ['fc'] },
    { name: 'prob', layers: ['prob'] },
  ];
  const ref = new Map<string, BlobArray>([
    ['data', { data: rand(2 * 3 * 4 * 4, 1, 100), shape: [2, 3, 4, 4] }],
    ['conv1', { data: rand(2 * 8 * 4 * 4, 2, 20), shape: [2, 8, 4, 4] }],
    ['fc', { data: rand(20, 3, 5), shape: [2, 10] }],
  ]);
  ref.set('prob', { data: softmaxRows(ref.get('fc')!.data, 2), shape: [2, 10] });
  ref.set('conv1_conv1/relu_0_split_0', { data: ref.get('conv1')!.data, shape: [2, 8, 4, 4] });
  ref.set('label', { data: new Float32Array(2), shape: [2] });
  // "Ours": the reference with float32-sized noise well inside the tolerances.
  const noisy = (b: BlobArray, rel: number): BlobArray => {
    const m = Math.max(...b.data.map(Math.abs));
    const n = rand(b.data.length, 9, rel * m);
    return { data: b.data.map((v, i) => v + n[i]), shape: b.shape.slice() };
  };
  const mine = new Map<string, BlobArray>([...ref].filter(([k]) => order.some((o) => o.name === k)).map(([k, v]) => [k, noisy(v, 1e-6)]));

  it('passes within tolerance; lists split copies as skipped and blobs on one side only', () => {
    const rep = compareBlobs(order, ref, mine);
    expect(rep.ok).toBe(true);
    expect(rep.results.map((r) => [r.blob, r.verdict])).toEqual([
      ['data', 'pass'], ['conv1', 'pass'], ['fc', 'pass'], ['prob', 'pass'], ['conv1_conv1/relu_0_split_0', 'skipped'],
    ]);
    expect(rep.results.find((r) => r.blob === 'prob')!.kind).toBe('probabilities');
    expect(rep.results.find((r) => r.blob === 'fc')!.kind).toBe('values');
    expect(rep.onlyInReference).toEqual(['label']);
    expect(rep.rtol).toBe(DEFAULT_RTOL);
    expect(rep.atol).toBe(DEFAULT_ATOL);
  });

  it('fails on a 1% nudge and names the first diverging layer; later blobs still reported', () => {
    const bad = new Map(mine);
    const c = mine.get('conv1')!;
    bad.set('conv1', { data: c.data.map((v) => v * 1.01), shape: c.shape });
    const rep = compareBlobs(order, ref, bad);
    expect(rep.ok).toBe(false);
    expect(rep.failed).toBe(1);
    expect(rep.firstDivergence).toEqual({ blob: 'conv1', layers: ['conv1', 'conv1/bn', 'conv1/relu'] });
    const r = rep.results.find((x) => x.blob === 'conv1')!;
    expect(r.maxRelError).toBeGreaterThan(0.009);
    expect(r.maxRelError).toBeLessThan(0.011);
    expect(formatParityTable(rep)).toMatch(/first divergence: layer 'conv1\/relu' \(blob 'conv1'/);
  });

  it('probabilities use the absolute bound; a shape mismatch is a failure with both shapes', () => {
    const bad = new Map(mine);
    const p = ref.get('prob')!;
    bad.set('prob', { data: p.data.map((v, i) => (i === 3 ? v + 2e-5 : v)), shape: p.shape });
    bad.set('fc', { data: mine.get('fc')!.data, shape: [2, 5, 2] });
    const rep = compareBlobs(order, ref, bad);
    const prob = rep.results.find((x) => x.blob === 'prob')!;
    expect(prob.verdict).toBe('fail');
    expect(prob.bound).toBe(DEFAULT_ATOL);
    const fc = rep.results.find((x) => x.blob === 'fc')!;
    expect(fc.verdict).toBe('shape-mismatch');
    expect(fc.note).toBe('model shape [2, 5, 2] vs reference [2, 10]');
    expect(rep.firstDivergence?.blob).toBe('fc');
  });

  it('trailing singleton axes are not a mismatch; NaN never passes; nothing in common fails', () => {
    const fc = ref.get('fc')!;
    const m1 = new Map([['fc', { data: fc.data, shape: [2, 10, 1, 1] }]]);
    expect(compareBlobs(order, new Map([['fc', fc]]), m1).ok).toBe(true);
    const m2 = new Map([['fc', { data: fc.data.map((v, i) => (i === 0 ? NaN : v)), shape: [2, 10] }]]);
    expect(compareBlobs(order, new Map([['fc', fc]]), m2).ok).toBe(false);
    expect(compareBlobs(order, new Map([['other', fc]]), m1).ok).toBe(false);
  });

  it('finds the source of Caffe split blobs (longest matching name)', () => {
    const known = new Set(['conv1', 'conv1_x']);
    expect(splitSource('conv1_x_relu_0_split_1', known)).toBe('conv1_x');
    expect(splitSource('conv1_relu_0_split_0', known)).toBe('conv1');
    expect(splitSource('conv2_split_0', known)).toBeUndefined();
    expect(splitSource('conv1_x', known)).toBeUndefined();
  });

  it('JUnit output has the usual structure, counts and escaping', () => {
    const bad = new Map(mine);
    bad.set('conv1', { data: mine.get('conv1')!.data.map((v) => v * 1.01), shape: [2, 8, 4, 4] });
    const weird = [{ name: 'a<b>&"c\'', layers: [] }, ...order];
    const r2 = new Map(ref);
    r2.set('a<b>&"c\'', { data: new Float32Array([1, 2]), shape: [2] });
    bad.set('a<b>&"c\'', { data: new Float32Array([1, 2]), shape: [2] });
    const rep = compareBlobs(weird, r2, bad);
    const xml = parityJunit(rep, { suite: 'net<1>', seconds: 1.5, timestamp: new Date('2026-01-02T03:04:05Z') });
    const s = checkJunit(xml);
    expect(s).toEqual({ tests: 7, failures: 1, errors: 0, skipped: 2, names: ['a<b>&"c\'', 'data', 'conv1', 'fc', 'prob', 'conv1_conv1/relu_0_split_0', 'label'] });
    expect(xml).toContain('name="net&lt;1&gt;"');
    expect(xml).toContain('timestamp="2026-01-02T03:04:05"');
  });
});

describe('parity end to end (converted net vs real-Caffe blobs)', () => {
  // A parity fixture made with real Caffe: several layer types, written as pycaffe would give REF.
  const CASE = 'scale_bias';
  const dir = path.join(PARITY_DIR, CASE);
  let tmp: string;
  beforeAll(async () => {
    await initBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-parity-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('passes against the reference, and a 1% nudge of one blob fails naming its layer', async () => {
    const x = readNpy(path.join(dir, 'input.npy'));
    const input = { data: toFloat32(x), shape: x.shape.slice() };
    const reference = readReference(path.join(dir, 'blobs.npz'));
    const model = await convertAndOpen(path.join(dir, 'net.prototxt'), path.join(dir, 'weights.caffemodel'), input.shape);
    try {
      const rep = runParity(model, input, reference);
      expect(rep.failed).toBe(0);
      expect(rep.passed).toBeGreaterThanOrEqual(3);
      expect(rep.ok).toBe(true);
      // Nudge the middle compared blob (not the input) by 1%, saved as .npy files in a folder.
      const compared = rep.results.filter((r) => r.verdict === 'pass' && r.layers.length > 0);
      const victim = compared[Math.floor(compared.length / 2)];
      const refDir = path.join(tmp, 'ref');
      fs.mkdirSync(refDir);
      const { writeNpy } = await import('../../src/runtime/npy');
      for (const [k, v] of reference) {
        const data = k === victim.blob.replace(/\//g, '__') ? v.data.map((e) => e * 1.01) : v.data;
        writeNpy(path.join(refDir, `${k}.npy`), { data, shape: v.shape });
      }
      const rep2 = runParity(model, input, readReference(refDir));
      expect(rep2.ok).toBe(false);
      expect(rep2.failed).toBe(1);
      expect(rep2.firstDivergence?.blob).toBe(victim.blob);
      expect(rep2.firstDivergence?.layers).toEqual(victim.layers);
      expect(formatParityTable(rep2)).toContain(`first divergence: layer '${victim.layers[victim.layers.length - 1]}'`);
    } finally {
      model.dispose();
    }
  });
});
