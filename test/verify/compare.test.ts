import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  blobInfoFromLayers, compareBlob, compareBlobs, DEFAULT_ABS_FLOOR, DEFAULT_ATOL, DEFAULT_RTOL, formatParityTable, parityJson, parityJunit, splitSource, topKMismatch, type BlobArray,
} from '../../src/verify';
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

  it('the table folds split copies into one line below the rows', () => {
    const more = new Map(ref);
    more.set('conv1_conv1/relu_0_split_1', { data: ref.get('conv1')!.data, shape: [2, 8, 4, 4] });
    more.set('fc_fc_0_split_0', { data: ref.get('fc')!.data, shape: ref.get('fc')!.shape });
    const rep = compareBlobs(order, more, mine);
    expect(rep.skipped).toBe(3);
    const table = formatParityTable(rep);
    expect(table).not.toMatch(/_split_\d/);
    expect(table.split('\n').filter((l) => /split/.test(l))).toEqual([
      "(3 split blobs skipped: Caffe's *_split_N copies of 2 blobs, not separate tensors in the model)",
    ]);
    // The rows are the compared blobs only.
    expect(table.split('\n').filter((l) => / ok$/.test(l))).toHaveLength(4);
    expect(table).toMatch(/3 skipped/);
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
    expect(compareBlobs(order, new Map([['fc', fc]]), m1, { allowMissing: true }).ok).toBe(true);
    const m2 = new Map([['fc', { data: fc.data.map((v, i) => (i === 0 ? NaN : v)), shape: [2, 10] }]]);
    expect(compareBlobs(order, new Map([['fc', fc]]), m2).ok).toBe(false);
    expect(compareBlobs(order, new Map([['other', fc]]), m1).ok).toBe(false);
  });

  it("Caffe's no-input values match exactly and do not loosen the scale of the others", () => {
    // A pooling window past the input: Caffe gives -FLT_MAX (MAX) and NaN (AVE) there.
    const FLT_MAX = 3.4028234663852886e38;
    const info = { name: 'pool', layers: ['pool'], producer: 'Pooling' };
    const blob = (xs: number[]): BlobArray => ({ data: Float32Array.from(xs), shape: [1, 1, 1, xs.length] });
    const ref = blob([1, 2, -FLT_MAX, NaN]);
    const same = compareBlob(info, blob([1, 2, -FLT_MAX, NaN]), ref);
    expect(same.verdict).toBe('pass');
    expect(same.maxAbsError).toBe(0);
    expect(same.refMax).toBe(2);
    // 0.5 off on a value of scale 2 fails, as it would without the sentinel beside it.
    expect(compareBlob(info, blob([1.5, 2, -FLT_MAX, NaN]), ref).verdict).toBe('fail');
    // -Infinity for -FLT_MAX, or a number for NaN (and the reverse), are infinite errors.
    for (const mine of [[1, 2, -Infinity, NaN], [1, 2, -FLT_MAX, 0], [1, 2, NaN, NaN]]) {
      const r = compareBlob(info, blob(mine), ref);
      expect(r.verdict).toBe('fail');
      expect(r.maxAbsError).toBe(Infinity);
    }
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

describe('pass rules: absolute floor, logits, final probabilities', () => {
  const blob = (data: number[], shape = [1, data.length]): BlobArray => ({ data: Float32Array.from(data), shape });
  const info = { name: 'b', layers: ['b'] };

  it('ordinary blobs: max|err| <= absFloor + rtol * max|ref|; a tiny blob computed from O(1) values passes on the floor', () => {
    // An SE squeeze output near zero (max 1.9e-3) off by 3.3e-7: 1.7e-4 of its own max.
    const ref = blob([1.9e-3, -4e-4, 7e-4, 1e-5]);
    const mine = blob([1.9e-3 + 3.3e-7, -4e-4, 7e-4, 1e-5]);
    const r = compareBlob(info, mine, ref);
    expect(r.kind).toBe('values');
    expect(r.maxRelError).toBeGreaterThan(DEFAULT_RTOL);
    expect(r.bound).toBeCloseTo(DEFAULT_ABS_FLOOR + DEFAULT_RTOL * 1.9e-3, 12);
    expect(r.verdict).toBe('pass');
    // Without the floor it fails, and 4e-6 off fails with it: the floor is a few ulps of O(1), no more.
    expect(compareBlob(info, mine, ref, { absFloor: 0 }).verdict).toBe('fail');
    expect(compareBlob(info, blob([1.9e-3 + 4e-6, -4e-4, 7e-4, 1e-5]), ref).verdict).toBe('fail');
    // On a blob of ordinary size the floor changes nothing that matters: 1.02e-4 relative fails.
    expect(compareBlob(info, blob([5 * (1 + 1.02e-4), 1]), blob([5, 1])).verdict).toBe('fail');
  });

  it('logits (InnerProduct read by a Softmax) get no floor; kinds follow the layers when known', () => {
    const ref = blob([2e-3, -1e-3]);
    const mine = blob([2e-3 + 3e-7, -1e-3]);
    const logits = { ...info, producer: 'InnerProduct', consumers: ['Softmax'] };
    const r = compareBlob(logits, mine, ref);
    expect(r.kind).toBe('logits');
    expect(r.bound).toBeCloseTo(DEFAULT_RTOL * Math.fround(2e-3), 15);
    expect(r.verdict).toBe('fail');
    expect(compareBlob({ ...info, producer: 'InnerProduct', consumers: ['ReLU'] }, mine, ref).verdict).toBe('pass');
    // A Softmax's output is probabilities even when its axis is not 1 (no guessing from values).
    expect(compareBlob({ ...info, producer: 'Softmax' }, blob([0.5, 0.5, 0.2]), blob([0.5, 0.5, 0.2])).kind).toBe('probabilities');
  });

  it('blobInfoFromLayers: writers, producer, consumers (in-place writers are not readers), outputs', () => {
    const order = blobInfoFromLayers([
      { name: 'data', type: 'Input', bottoms: [], tops: ['data'] },
      { name: 'fc', type: 'InnerProduct', bottoms: ['data'], tops: ['fc'] },
      { name: 'relu', type: 'ReLU', bottoms: ['fc'], tops: ['fc'] },
      { name: 'fc2', type: 'InnerProduct', bottoms: ['fc'], tops: ['fc2'] },
      { name: 'prob', type: 'Softmax', bottoms: ['fc2'], tops: ['prob'] },
    ]);
    expect(order).toEqual([
      { name: 'data', layers: [], producer: 'Input', consumers: ['InnerProduct'], output: false },
      { name: 'fc', layers: ['fc', 'relu'], producer: 'ReLU', consumers: ['InnerProduct'], output: false },
      { name: 'fc2', layers: ['fc2'], producer: 'InnerProduct', consumers: ['Softmax'], output: false },
      { name: 'prob', layers: ['prob'], producer: 'Softmax', consumers: [], output: true },
    ]);
  });

  it('without layers: probabilities from the values, logits as the blob whose softmax is a final probability blob', () => {
    const fc = blob([1.5, -0.5, 0.25, 3, 0]);
    const prob = blob(Array.from(softmaxRows(fc.data, 1)));
    const other = blob([1.5, -0.5, 0.25, 3, 0.01]);
    const order = [{ name: 'other', layers: [] }, { name: 'fc', layers: [] }, { name: 'prob', layers: [], output: true }];
    const ref = new Map([['other', other], ['fc', fc], ['prob', prob]]);
    const rep = compareBlobs(order, ref, ref);
    expect(rep.results.map((r) => [r.blob, r.kind])).toEqual([['other', 'values'], ['fc', 'logits'], ['prob', 'probabilities']]);
    expect(rep.results[2].topK).toEqual({ k: 5, same: true });
    expect(rep.absFloor).toBe(DEFAULT_ABS_FLOOR);
    expect(parityJson(rep).absFloor).toBe(DEFAULT_ABS_FLOOR);
    // Not an output: no top-k check, and no logits recognised from it.
    const rep2 = compareBlobs(order.map((o) => ({ ...o, output: false })), ref, ref);
    expect(rep2.results.map((r) => r.kind)).toEqual(['values', 'values', 'probabilities']);
    expect(rep2.results[2].topK).toBeUndefined();
  });

  it('final probabilities: the same top-5, ties within atol may swap', () => {
    const ref = blob([0.3, 0.2, 0.15, 0.12, 0.1, 0.08, 0.05], [1, 7]);
    const out = { ...info, producer: 'Softmax', output: true };
    // Ranks 4 and 5 swapped, 0.02 apart in the reference.
    const swapped = blob([0.3, 0.2, 0.15, 0.1, 0.12, 0.08, 0.05], [1, 7]);
    expect(topKMismatch(swapped.data, ref, 5, DEFAULT_ATOL)).toBe('row 0: top-5 [0, 1, 2, 4, 3] vs reference [0, 1, 2, 3, 4]');
    // A swap inside the bound: two reference values 4e-6 apart, ours reversed by 2e-6 each way.
    const tied = blob([0.3, 0.2, 0.15, 0.100004, 0.1, 0.08, 0.065996], [1, 7]);
    const tiedMine = blob([0.3, 0.2, 0.15, 0.100002, 0.100002, 0.08, 0.065996], [1, 7]);
    tiedMine.data[4] += 1e-6;
    expect(compareBlob(out, tiedMine, tied).verdict).toBe('pass');
    // A swap beyond the tie margin while every value is within atol still fails, with the rows named.
    // Reference 1.2e-5 apart (more than atol), ours reversed with errors of 7e-6 (within atol).
    const near = blob([0.3, 0.2, 0.15, 0.100012, 0.1, 0.08, 0.065988], [1, 7]);
    const nearMine = blob([0.3, 0.2, 0.15, 0.100005, 0.100007, 0.08, 0.065988], [1, 7]);
    const r = compareBlob(out, nearMine, near);
    expect(r.maxAbsError).toBeLessThanOrEqual(DEFAULT_ATOL);
    expect(r.verdict).toBe('fail');
    expect(r.topK).toEqual({ k: 5, same: false });
    expect(r.note).toBe('row 0: top-5 [0, 1, 2, 4, 3] vs reference [0, 1, 2, 3, 4]');
    // Not an output: no ranking check.
    expect(compareBlob({ ...out, output: false }, nearMine, near).verdict).toBe('pass');
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
      // Every layer top of the case was compared and passed.
      expect(rep.results.filter((r) => r.verdict === 'pass').map((r) => r.blob)).toEqual(
        expect.arrayContaining(['gap', 'gap_flat', 'scale_2b', 'bias_2b', 'scale_1b', 'scale_scalar', 'scale_hw', 'bias_1b']),
      );
      expect(rep.passed).toBe(rep.results.length);
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
