/**
 * The float32-noise rule of compare.ts (--truth): with float64 values beside Caffe's, a blob out of
 * tolerance is float32 noise when the model is no further from the truth than K times Caffe is
 * (and within the ceiling); a real error (1% of a blob) still fails and is named first.
 * Synthetic blobs: truth t, Caffe t + e_caffe, model t + e_model, with known errors.
 */
import { compareBlobs, formatParityTable, parityJson, parityJunit, renderParityPage, type BlobArray, type TruthArray } from '../../src/verify';
import { checkJunit } from './junit-check';

const N = 64;
const wave = (i: number): number => Math.sin(i * 0.7) * 3 + Math.cos(i * 0.13);
const truthOf = (): Float64Array => Float64Array.from({ length: N }, (_, i) => wave(i));
const blob = (f: (i: number) => number): BlobArray => ({ data: Float32Array.from({ length: N }, (_, i) => f(i)), shape: [1, N] });
const refMax = Math.max(...Array.from(truthOf(), Math.abs));

/** Errors of float32-noise size: a fixed pattern times `size` relative to the blob's magnitude. */
const noisy = (size: number, phase: number) => (i: number): number => wave(i) + size * refMax * Math.sin(i * 1.3 + phase);

const order = [
  { name: 'a', layers: ['a'] },
  { name: 'b', layers: ['b'] },
  { name: 'c', layers: ['c'] },
];

function run(model: Record<string, (i: number) => number>, caffe: Record<string, (i: number) => number>, opts = {}) {
  const ref = new Map<string, BlobArray>();
  const mine = new Map<string, BlobArray>();
  const truth = new Map<string, TruthArray>();
  for (const o of order) {
    ref.set(o.name, blob(caffe[o.name]));
    mine.set(o.name, blob(model[o.name]));
    truth.set(o.name, { data: truthOf(), shape: [1, N] });
  }
  return { withTruth: compareBlobs(order, ref, mine, opts, truth), without: compareBlobs(order, ref, mine, opts) };
}

describe('float32-noise rule', () => {
  // a: both within tolerance; b: model 1.2e-4 and Caffe 0.8e-4 from the truth, opposite signs, so
  // 2e-4 apart (out of the 1e-4 bound); c: the same, on another blob.
  const caffe = { a: noisy(1e-6, 0), b: noisy(0.8e-4, 0), c: noisy(0.8e-4, 1) };
  const model = { a: noisy(-1e-6, 0), b: noisy(-1.2e-4, 0), c: noisy(-1.2e-4, 1) };

  it('passes blobs out of tolerance whose model is no further from the truth than 2 x Caffe, saying so', () => {
    const { withTruth, without } = run(model, caffe);
    expect(without.results.map((r) => r.verdict)).toEqual(['pass', 'fail', 'fail']);
    expect(withTruth.ok).toBe(true);
    expect(withTruth.results.map((r) => [r.blob, r.verdict, r.rule])).toEqual([
      ['a', 'pass', 'tolerance'], ['b', 'pass', 'float32-noise'], ['c', 'pass', 'float32-noise'],
    ]);
    expect(withTruth.noise).toBe(2);
    const b = withTruth.results[1];
    // The three distances: model-Caffe (> bound), model-truth and Caffe-truth.
    expect(b.maxAbsError).toBeGreaterThan(b.bound);
    expect(b.truth!.model / refMax).toBeCloseTo(1.2e-4, 5);
    expect(b.truth!.reference / refMax).toBeCloseTo(0.8e-4, 5);
    expect(withTruth.truthRule).toEqual({ noiseFactor: 2, noiseCeiling: 10, blobs: 3 });
  });

  it('K is an option: with K = 1 the model must be as close to the truth as Caffe', () => {
    const { withTruth } = run(model, caffe, { noiseFactor: 1 });
    expect(withTruth.results.map((r) => r.verdict)).toEqual(['pass', 'fail', 'fail']);
    expect(withTruth.firstDivergence).toEqual({ blob: 'b', layers: ['b'] });
  });

  it('a planted 1% error in one blob fails and is named, with its distances from the truth', () => {
    const planted = { ...model, b: (i: number): number => wave(i) * 1.01 };
    const { withTruth } = run(planted, caffe);
    expect(withTruth.ok).toBe(false);
    expect(withTruth.results.map((r) => [r.blob, r.verdict, r.rule])).toEqual([
      ['a', 'pass', 'tolerance'], ['b', 'fail', 'tolerance'], ['c', 'pass', 'float32-noise'],
    ]);
    expect(withTruth.firstDivergence).toEqual({ blob: 'b', layers: ['b'] });
    const b = withTruth.results[1];
    expect(b.truth!.model / refMax).toBeCloseTo(0.01, 4);
    const table = formatParityTable(withTruth);
    expect(table).toMatch(/^first divergence: layer 'b' \(blob 'b'\)$/m);
    expect(table).toMatch(/vs the float64 reference: model 1\.00e-2, Caffe [78]\.\d\de-5 \(relative\): the model is off, not Caffe/);
  });

  it('never excuses more than the ceiling: Caffe far from the truth (a bug our reference may share) still fails', () => {
    // Model = truth exactly, Caffe 1% off: against Caffe the model is 100x out of tolerance.
    const { withTruth } = run({ a: wave, b: wave, c: wave }, { a: wave, b: (i) => wave(i) * 1.01, c: wave });
    expect(withTruth.results.map((r) => r.verdict)).toEqual(['pass', 'fail', 'pass']);
    const loose = run({ a: wave, b: wave, c: wave }, { a: wave, b: (i) => wave(i) * 1.01, c: wave }, { noiseCeiling: 1000 }).withTruth;
    expect(loose.results[1].rule).toBe('float32-noise');
  });

  it("Caffe's distance is its largest so far in net order (in units of the bound): a reduction where its rounding cancelled by chance", () => {
    // b: Caffe 0.8e-4 off; c (computed from b, say a pool): Caffe lucky, 0.05e-4 off, the model 1.2e-4.
    const lucky = { a: noisy(1e-6, 0), b: noisy(0.8e-4, 0), c: noisy(0.05e-4, 1) };
    const { withTruth } = run(model, lucky);
    expect(withTruth.results.map((r) => [r.blob, r.rule])).toEqual([['a', 'tolerance'], ['b', 'float32-noise'], ['c', 'float32-noise']]);
    expect(withTruth.results[2].truth!.model / withTruth.results[2].truth!.reference).toBeGreaterThan(20);
    expect(withTruth.results[2].truth!.caffeNoise).toBeCloseTo(withTruth.results[1].truth!.reference / withTruth.results[1].bound, 6);
    // Without the noise before it (a and b exact in Caffe), the same c fails.
    const { withTruth: alone } = run(model, { a: wave, b: wave, c: noisy(0.05e-4, 1) });
    expect(alone.results.map((r) => r.verdict)).toEqual(['pass', 'fail', 'fail']);
  });

  it('the table, JSON, JUnit and HTML say which rule decided each verdict', () => {
    const { withTruth } = run(model, caffe);
    const table = formatParityTable(withTruth);
    expect(table.split('\n')[0]).toMatch(/max rel err +tolerance +model-f64 rel +caffe-f64 rel +verdict$/);
    expect(table).toMatch(/^c .* 1\.20e-4 +8\.00e-5 +ok \(f32 noise\)$/m);
    expect(table).toMatch(/^a .* ok$/m);
    expect(table).toContain("no further from the float64 reference than 2 x Caffe's own distance");
    expect(table).toMatch(/^PASS: 3 passed \(2 as float32 noise\), 0 failed/m);

    const j = parityJson(withTruth) as { noise: number; blobs: { blob: string; rule: string; truth: { modelMaxAbs: number; referenceMaxAbs: number } }[] };
    expect(j.noise).toBe(2);
    expect(j.blobs.map((x) => x.rule)).toEqual(['tolerance', 'float32-noise', 'float32-noise']);
    expect(j.blobs[1].truth.modelMaxAbs / refMax).toBeCloseTo(1.2e-4, 5);

    const xml = parityJunit(withTruth, { suite: 's', seconds: 1 });
    expect(checkJunit(xml)).toMatchObject({ tests: 3, failures: 0 });
    expect(xml).toMatch(/<testcase classname="parity.s" name="b" time="0">\n\s+<system-out>float32 noise: max abs error [^<]+ from the float64 reference: model [^<]+<\/system-out>/);
    expect(xml).toContain('<property name="noiseFactor" value="2"/>');

    const page = renderParityPage(withTruth, { model: 'm', input: 'x.npy', inputShape: [1, N], reference: 'r.npz', date: new Date(0) });
    expect(page).toContain('<th class="sortable num" data-type="num">Model-f64</th>');
    expect(page).toContain('id="t-noise"');
    expect((page.match(/<rect class="bar noise"/g) ?? []).length).toBe(2);
    expect(page).toMatch(/<tr id="row3" class="pass noise">.*1\.20e-4.*8\.00e-5.*ok \(f32 noise\)/);
  });

  it('without a truth nothing changes: no truth columns, no rule text', () => {
    const { without } = run(model, caffe);
    expect(without.truthRule).toBeUndefined();
    expect(without.noise).toBe(0);
    expect(formatParityTable(without)).not.toContain('f64');
    expect(renderParityPage(without, { model: 'm', input: 'x.npy', inputShape: [1, N], reference: 'r.npz', date: new Date(0) })).not.toContain('Model-f64');
  });
});
