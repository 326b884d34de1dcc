/**
 * Blob-by-blob comparison of a converted model's blobs with reference blobs (real Caffe's), in
 * the net's topological order. Pure: no I/O, no backend. This is the one comparison of the
 * project: `senet parity` and the test suite's parity harness both use it.
 *
 * Pass rules (defaults, see docs/parity.md), in the numpy `allclose` family but measured against
 * the blob's largest reference magnitude rather than elementwise:
 * - Ordinary blobs ('values') pass when max|mine - ref| <= absFloor + rtol * max|ref|, rtol = 1e-4,
 *   absFloor = 1e-6. Float32 carries ~7 significant digits; summation order differs between
 *   Caffe's BLAS and TF.js kernels (im2col GEMM vs direct/Winograd convolution, folded BatchNorm),
 *   so each layer adds errors of a few ulps of the blob's magnitude, and after ~150 layers of a deep
 *   SENet they reach ~1e-5 of the largest activation. 1e-4 leaves a 10x margin yet catches any real
 *   bug (a wrong pad, a missed BatchNorm scale factor, a transposed weight), which is off by 1e-2
 *   or more. The floor is there because the rounding error of a blob is set by the magnitude of
 *   the values it was computed from, not by its own: an SE squeeze output of ~2e-3 computed from
 *   O(1) activations carries errors of a few 1e-7, which is 1e-4 of its own max. 1e-6 is about
 *   float32's epsilon (1.2e-7) times the O(1)..O(10) activation scale of these nets: a few ulps of
 *   the inputs, far below any real bug on a blob of ordinary size.
 * - Logits (an InnerProduct's output read by a Softmax) get no floor: max|mine - ref| <= rtol *
 *   max|ref|, exactly as the requirement states them; they are O(1) or larger, where the floor
 *   would not matter anyway, and they decide the prediction.
 * - Probability blobs (a Softmax's output; with the net unknown, every reference value in [0, 1]
 *   and each row along axis 1 summing to 1) pass when max|mine - ref| <= atol, atol = 1e-5:
 *   probabilities are already on an absolute scale, and softmax over 1000 classes puts most
 *   values near 1e-3, where a relative bound on the largest value would be too loose for the
 *   small ones. The net's final probabilities (outputs nobody reads) must also rank the same
 *   top-5 classes per row; two classes whose reference probabilities tie within atol may swap.
 * - A blob whose reference is all zeros passes when max|mine| <= atol.
 *
 * With a float64 truth (this project's reference forward pass in float64, `senet reference`; see
 * docs/parity.md) each blob also gets its distances from the truth: the model's and Caffe's. Both
 * float32 implementations (Caffe, the converted model) approximate the truth; their difference is
 * float32 rounding, amplified by depth. A blob out of tolerance against Caffe is reported as float32
 * noise (rule 'float32-noise', not a failure) when the model is no further from the truth than
 * `noiseFactor` (K, default 2) times Caffe's own distance, and its error against Caffe is at most
 * `noiseCeiling` (default 10) times its bound: beyond that it is no longer rounding (a 1% error is
 * 100x the values bound), and it guards against a bug our reference might share with the model.
 * Caffe's own distance is measured in units of each blob's bound and taken as the largest over
 * this blob and the blobs before it in topological order (`caffeNoise`): on a reduction (a global
 * pool, an SE squeeze) over float32-noisy inputs Caffe's rounding may cancel by chance, leaving it
 * 10x closer to the truth than at the blobs it was computed from; the model's rounding there is
 * still only as large as the inputs' noise. Measured on the reduced SENet-154 fixture: the
 * blob-by-blob ratio reached 17 on such blobs (cpu and wasm), against at most 1.7 on the others.
 * A bug still shows as a distance from the truth far beyond any noise Caffe shows up to there.
 * Shape mismatches and differing top-5 classes are never excused.
 */
import { FLT_MAX } from '../layers';
import { blobFileKey } from '../runtime/npy';

export const DEFAULT_RTOL = 1e-4;
export const DEFAULT_ATOL = 1e-5;
export const DEFAULT_ABS_FLOOR = 1e-6;
/** K of the float32-noise rule: the model may be K times as far from the float64 truth as Caffe is. */
export const DEFAULT_NOISE_FACTOR = 2;
/** The float32-noise rule excuses errors up to this many times the blob's bound, not more. */
export const DEFAULT_NOISE_CEILING = 10;
/** Classes ranked for the final probabilities' top-k check. */
export const TOP_K = 5;

export interface BlobArray {
  data: Float32Array;
  shape: number[];
}

export type Verdict = 'pass' | 'fail' | 'shape-mismatch' | 'skipped';

/** The rule that decided a verdict: the tolerance against Caffe, or the float32-noise rule against the float64 truth. */
export type VerdictRule = 'tolerance' | 'float32-noise';

/** A blob of the float64 truth (float32 storage is accepted: its rounding is far below the noise). */
export interface TruthArray {
  data: Float64Array | Float32Array;
  shape: number[];
}

/** A blob's distances from the float64 truth (max absolute differences). */
export interface TruthDistances {
  /** max |model - truth|. */
  model: number;
  /** max |reference (Caffe) - truth|. */
  reference: number;
  /**
   * Caffe's float32 noise up to here: the largest `reference / bound` over this blob and the
   * compared blobs before it (set by compareBlobs).
   */
  caffeNoise?: number;
}

/** Which pass rule a blob is held to (see the module comment). */
export type BlobKind = 'probabilities' | 'logits' | 'values';

export interface BlobResult {
  blob: string;
  /** Layers writing the blob, in net order (the last one produced the compared value); may be empty. */
  layers: string[];
  verdict: Verdict;
  kind: BlobKind;
  shape: number[];
  refShape: number[];
  maxAbsError: number;
  /** maxAbsError / max|ref| (maxAbsError itself when the reference is all zeros). */
  maxRelError: number;
  /** max|ref|. */
  refMax: number;
  /** The bound maxAbsError was held to. */
  bound: number;
  /** Index (C order) of the element with the largest error. */
  worstIndex: number;
  /** Final probabilities only: whether every row ranks the reference's top-k (ties within atol aside). */
  topK?: { k: number; same: boolean };
  /** Which rule decided the verdict (pass or fail); absent for skipped blobs and shape mismatches. */
  rule?: VerdictRule;
  /** Distances from the float64 truth, when one was given for this blob. */
  truth?: TruthDistances;
  /** Why skipped, or what mismatched (shape, or the first row whose top-k differs). */
  note?: string;
  /** Skipped because it is Caffe's split copy of this blob (reports fold these into one line). */
  splitOf?: string;
}

export interface ParityReport {
  /** Compared (and skipped) blobs in topological order. */
  results: BlobResult[];
  /** Blobs in the reference that the model does not have (split copies excluded). */
  onlyInReference: string[];
  /** Blobs of the model that the reference does not have. */
  onlyInModel: string[];
  /** First failing blob in topological order, with the layer(s) writing it. */
  firstDivergence?: { blob: string; layers: string[] };
  /** Passed blobs, those passed as float32 noise included. */
  passed: number;
  /** Blobs passed by the float32-noise rule (out of tolerance against Caffe). */
  noise: number;
  /** The float32-noise rule's settings, when a truth was given. */
  truthRule?: { noiseFactor: number; noiseCeiling: number; blobs: number };
  failed: number;
  skipped: number;
  ok: boolean;
  rtol: number;
  atol: number;
  absFloor: number;
}

export interface CompareOptions {
  /** Relative bound (of the blob's max magnitude) for values and logits. */
  rtol?: number;
  /** Absolute bound for probabilities and all-zero blobs; also the tie margin of the top-k check. */
  atol?: number;
  /** Absolute floor added to the relative bound of ordinary blobs (not logits). */
  absFloor?: number;
  /** K of the float32-noise rule (used only with a truth). */
  noiseFactor?: number;
  /** The float32-noise rule excuses at most this many times a blob's bound. */
  noiseCeiling?: number;
  /**
   * Model blobs the reference lacks do not fail the check (by default they do: a reference of 2
   * blobs out of 122 checks almost nothing).
   */
  allowMissing?: boolean;
}

export interface ModelBlobInfo {
  /** Caffe blob name. */
  name: string;
  /** Layers writing it, in net order (empty when unknown, e.g. from a model folder). */
  layers: string[];
  /**
   * Type of the last layer writing it, when the net's layers are known; the kind then follows
   * from the layers. Absent: the kind is recognised from the reference values.
   */
  producer?: string;
  /** Types of the layers reading it (in-place writers excluded), when the layers are known. */
  consumers?: string[];
  /** A net output (no layer reads it): a probability blob that is one gets the top-k check. */
  output?: boolean;
}

/** A layer as far as blob roles go (LayerShapes and upgraded LayerParameters both map to it). */
export interface LayerLink {
  name: string;
  type: string;
  bottoms: readonly string[];
  tops: readonly string[];
}

/**
 * Blobs of a net in topological order with their writers, producer type, consumer types and
 * whether they are outputs; Input layers are not counted as writers.
 */
export function blobInfoFromLayers(layers: readonly LayerLink[]): ModelBlobInfo[] {
  const order: ModelBlobInfo[] = [];
  const seen = new Map<string, ModelBlobInfo & { consumers: string[] }>();
  for (const l of layers) {
    for (const b of l.bottoms) {
      if (l.tops.includes(b)) continue; // in place: a writer, not a reader
      seen.get(b)?.consumers.push(l.type);
    }
    for (const t of l.tops) {
      let info = seen.get(t);
      if (info === undefined) {
        info = { name: t, layers: [], producer: l.type, consumers: [] };
        seen.set(t, info);
        order.push(info);
      }
      if (l.type !== 'Input') info.layers.push(l.name);
      info.producer = l.type;
    }
  }
  for (const info of order) info.output = (info.consumers ?? []).length === 0;
  return order;
}

/** Shapes are the same when equal after dropping trailing singleton axes ([1,10] == [1,10,1,1]). */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  const trim = (s: readonly number[]): number[] => {
    const t = [...s];
    while (t.length > 1 && t[t.length - 1] === 1) t.pop();
    return t;
  };
  const x = trim(a);
  const y = trim(b);
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

/** N, C and the positions per (n, c) of a blob seen as [N, C, ...] (C = 1 for rank 1). */
function axis1(shape: readonly number[], length: number): { n: number; c: number; inner: number } {
  const n = shape.length > 0 ? shape[0] : 1;
  const c = shape.length > 1 ? shape[1] : 1;
  return { n, c, inner: n * c > 0 ? length / (n * c) : 0 };
}

/** A reference blob that holds probabilities: every value in [0,1], each row along axis 1 summing to 1. */
export function looksLikeProbabilities(ref: BlobArray): boolean {
  const { data, shape } = ref;
  if (data.length === 0 || shape.length < 2) return false;
  for (let i = 0; i < data.length; i++) if (!(data[i] >= 0 && data[i] <= 1)) return false;
  const { n, c, inner } = axis1(shape, data.length);
  if (c < 2) return false;
  for (let a = 0; a < n; a++) {
    for (let s = 0; s < inner; s++) {
      let sum = 0;
      for (let k = 0; k < c; k++) sum += data[(a * c + k) * inner + s];
      if (Math.abs(sum - 1) > 1e-3) return false;
    }
  }
  return true;
}

/** Whether softmax along axis 1 of `x` gives `p` within `tol` (x is then the logits of p). */
function softmaxOf(x: BlobArray, p: BlobArray, tol: number): boolean {
  if (x.data.length !== p.data.length || !sameShape(x.shape, p.shape)) return false;
  const { n, c, inner } = axis1(p.shape, p.data.length);
  for (let a = 0; a < n; a++) {
    for (let s = 0; s < inner; s++) {
      const at = (k: number): number => (a * c + k) * inner + s;
      let mx = -Infinity;
      for (let k = 0; k < c; k++) mx = Math.max(mx, x.data[at(k)]);
      let sum = 0;
      for (let k = 0; k < c; k++) sum += Math.exp(x.data[at(k)] - mx);
      for (let k = 0; k < c; k++) {
        if (!(Math.abs(Math.exp(x.data[at(k)] - mx) / sum - p.data[at(k)]) <= tol)) return false;
      }
    }
  }
  return true;
}

/**
 * The first row (along axis 1, per batch item and position) whose top-k classes differ, or
 * undefined. Rank i may hold another class only when the two classes' reference values tie
 * within `tie`.
 */
export function topKMismatch(mine: Float32Array, ref: BlobArray, k: number, tie: number): string | undefined {
  const { n, c, inner } = axis1(ref.shape, ref.data.length);
  const kk = Math.min(k, c);
  for (let a = 0; a < n; a++) {
    for (let s = 0; s < inner; s++) {
      const at = (j: number): number => (a * c + j) * inner + s;
      const rank = (v: Float32Array): number[] =>
        Array.from({ length: c }, (_, j) => j).sort((x, y) => v[at(y)] - v[at(x)] || x - y).slice(0, kk);
      const got = rank(mine);
      const want = rank(ref.data);
      for (let i = 0; i < kk; i++) {
        if (got[i] !== want[i] && Math.abs(ref.data[at(got[i])] - ref.data[at(want[i])]) > tie) {
          const row = inner === 1 ? `row ${a}` : `item ${a} position ${s}`;
          return `${row}: top-${kk} [${got.join(', ')}] vs reference [${want.join(', ')}]`;
        }
      }
    }
  }
  return undefined;
}

/** The kind from the layers when known (producer set), else from the reference values. */
function kindFromLayers(info: ModelBlobInfo): BlobKind {
  if (info.producer === 'Softmax') return 'probabilities';
  if (info.producer === 'InnerProduct' && (info.consumers ?? []).includes('Softmax')) return 'logits';
  return 'values';
}

/**
 * Compares one blob. `kind` defaults to what `info` says (its producer) or, without layer
 * information, to probabilities when the reference looks like them and values otherwise.
 */
export function compareBlob(info: ModelBlobInfo, mine: BlobArray, ref: BlobArray, opts: CompareOptions = {}, kind?: BlobKind, truth?: TruthArray): BlobResult {
  const rtol = opts.rtol ?? DEFAULT_RTOL;
  const atol = opts.atol ?? DEFAULT_ATOL;
  const absFloor = opts.absFloor ?? DEFAULT_ABS_FLOOR;
  const base = { blob: info.name, layers: info.layers, shape: mine.shape.slice(), refShape: ref.shape.slice() };
  const k: BlobKind = kind ?? (info.producer !== undefined ? kindFromLayers(info) : looksLikeProbabilities(ref) ? 'probabilities' : 'values');
  if (!sameShape(mine.shape, ref.shape) || mine.data.length !== ref.data.length) {
    return {
      ...base, verdict: 'shape-mismatch', kind: k, maxAbsError: Infinity, maxRelError: Infinity, refMax: NaN, bound: NaN, worstIndex: -1,
      note: `model shape [${mine.shape.join(', ')}] vs reference [${ref.shape.join(', ')}]`,
    };
  }
  let maxAbs = 0;
  let refMax = 0;
  let worst = -1;
  for (let i = 0; i < ref.data.length; i++) {
    const r = ref.data[i];
    const e = elementError(mine.data[i], r);
    if (worst < 0 || e > maxAbs) {
      maxAbs = e;
      worst = i;
    }
    // Caffe's no-input values (a pooling window past the input: -FLT_MAX, NaN) are exact matches
    // or failures, not activations: they must not set the scale the other values are held to.
    const m = Math.abs(r);
    if (m > refMax && m < FLT_MAX) refMax = m;
  }
  const bound = k === 'probabilities' || refMax === 0 ? atol : k === 'logits' ? rtol * refMax : absFloor + rtol * refMax;
  const maxRel = refMax > 0 ? maxAbs / refMax : maxAbs;
  const out: BlobResult = {
    ...base, verdict: maxAbs <= bound ? 'pass' : 'fail', rule: 'tolerance', kind: k, maxAbsError: maxAbs, maxRelError: maxRel, refMax, bound, worstIndex: worst,
  };
  if (truth !== undefined && truth.data.length === ref.data.length) {
    out.truth = { model: maxDistance(mine.data, truth.data), reference: maxDistance(ref.data, truth.data) };
    out.truth.caffeNoise = out.truth.reference / bound;
    applyNoiseRule(out, out.truth.caffeNoise, opts);
  }
  if (k === 'probabilities' && info.output === true) {
    const note = topKMismatch(mine.data, ref, TOP_K, atol);
    out.topK = { k: Math.min(TOP_K, axis1(ref.shape, ref.data.length).c), same: note === undefined };
    if (note !== undefined) {
      out.verdict = 'fail';
      out.rule = 'tolerance';
      out.note = note;
    }
  }
  return out;
}

/**
 * Turns a tolerance failure into a float32-noise pass when the model's distance from the truth,
 * in units of the blob's bound, is at most K times Caffe's noise level `caffeNoise` (same units),
 * within the ceiling.
 */
function applyNoiseRule(r: BlobResult, caffeNoise: number, opts: CompareOptions): void {
  const K = opts.noiseFactor ?? DEFAULT_NOISE_FACTOR;
  const ceiling = opts.noiseCeiling ?? DEFAULT_NOISE_CEILING;
  if (r.truth === undefined || r.verdict !== 'fail' || r.topK?.same === false) return;
  if (r.truth.model / r.bound <= K * caffeNoise && r.maxAbsError <= ceiling * r.bound) {
    r.verdict = 'pass';
    r.rule = 'float32-noise';
  }
}

/** max |a - b| in float64 (NaN anywhere counts as infinite). */
function maxDistance(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = elementError(a[i], b[i]);
    if (d > m) m = d;
  }
  return m;
}


/**
 * |mine - ref| for one element. The same value is no error, also where that value is NaN or
 * infinite (Caffe's AVE pooling over a window past the input gives NaN, and so must a faithful
 * model); a NaN or infinity on one side only is an infinite error, never a pass.
 */
function elementError(mine: number, ref: number): number {
  if (mine === ref || (Number.isNaN(mine) && Number.isNaN(ref))) return 0;
  const d = Math.abs(mine - ref);
  return Number.isFinite(d) ? d : Infinity;
}

/** Caffe's automatic split copies: `<blob>_<layer>_<i>_split_<j>`; returns the source blob when it is one of `known`. */
export function splitSource(name: string, known: ReadonlySet<string>): string | undefined {
  if (!/_split_\d+$/.test(name)) return undefined;
  let best: string | undefined;
  for (const k of known) if (name.startsWith(`${k}_`) && (best === undefined || k.length > best.length)) best = k;
  return best;
}

/**
 * Kinds of the blobs to compare. With layer information (producer set) they follow from the
 * layers. Without, a blob is probabilities when its reference looks like them, and logits when
 * the softmax of its reference gives a final probability blob's reference (within 1e-6: Caffe's
 * float32 softmax against ours in float64): the input of the net's final Softmax.
 */
function blobKinds(order: readonly ModelBlobInfo[], reference: ReadonlyMap<string, BlobArray>): Map<string, BlobKind> {
  const kinds = new Map<string, BlobKind>();
  const finals: BlobArray[] = [];
  for (const info of order) {
    const ref = reference.get(info.name);
    if (ref === undefined) continue;
    const k = info.producer !== undefined ? kindFromLayers(info) : looksLikeProbabilities(ref) ? 'probabilities' : 'values';
    kinds.set(info.name, k);
    if (info.producer === undefined && k === 'probabilities' && info.output === true) finals.push(ref);
  }
  if (finals.length > 0) {
    for (const info of order) {
      const ref = reference.get(info.name);
      if (ref === undefined || info.producer !== undefined || kinds.get(info.name) !== 'values') continue;
      if (finals.some((p) => softmaxOf(ref, p, 1e-6))) kinds.set(info.name, 'logits');
    }
  }
  return kinds;
}

/**
 * Compares every blob present in both, in the model's (topological) order. Reference blobs that
 * are Caffe split copies of a model blob are listed as skipped; the rest that the model lacks are
 * listed in `onlyInReference`. No blob compared at all is a failure, not a vacuous pass; so is a
 * model blob the reference lacks (`onlyInModel`), unless `allowMissing`.
 */
export function compareBlobs(
  order: readonly ModelBlobInfo[],
  reference: ReadonlyMap<string, BlobArray>,
  mine: ReadonlyMap<string, BlobArray>,
  opts: CompareOptions = {},
  truth?: ReadonlyMap<string, TruthArray>,
): ParityReport {
  const rtol = opts.rtol ?? DEFAULT_RTOL;
  const atol = opts.atol ?? DEFAULT_ATOL;
  const absFloor = opts.absFloor ?? DEFAULT_ABS_FLOOR;
  const modelNames = new Set(order.map((b) => b.name));
  const kinds = blobKinds(order, reference);
  const results: BlobResult[] = [];
  for (const info of order) {
    const ref = reference.get(info.name);
    const got = mine.get(info.name);
    if (ref === undefined || got === undefined) continue;
    results.push(compareBlob(info, got, ref, { ...opts, rtol, atol, absFloor }, kinds.get(info.name), truth?.get(info.name)));
  }
  // Caffe's noise level so far (see the module comment), in topological order.
  let caffeNoise = 0;
  for (const r of results) {
    if (r.truth === undefined || !Number.isFinite(r.truth.caffeNoise ?? NaN)) continue;
    caffeNoise = Math.max(caffeNoise, r.truth.caffeNoise!);
    r.truth.caffeNoise = caffeNoise;
    applyNoiseRule(r, caffeNoise, opts);
  }
  const onlyInReference: string[] = [];
  // Split copies may be named in file form ('/' -> '__') when read from a folder of .npy files.
  const splitBases = new Set([...modelNames, ...[...modelNames].map(blobFileKey)]);
  for (const [name, ref] of reference) {
    if (modelNames.has(name)) continue;
    const src = splitSource(name, splitBases);
    if (src !== undefined) {
      results.push({
        blob: name, layers: [], verdict: 'skipped', kind: 'values', shape: [], refShape: ref.shape.slice(), maxAbsError: NaN, maxRelError: NaN,
        refMax: NaN, bound: NaN, worstIndex: -1, note: `Caffe's split copy of '${src}' (not a separate tensor in the model)`, splitOf: src,
      });
    } else {
      onlyInReference.push(name);
    }
  }
  const onlyInModel = order.map((b) => b.name).filter((n) => !reference.has(n));
  const failedResults = results.filter((r) => r.verdict === 'fail' || r.verdict === 'shape-mismatch');
  const first = failedResults[0];
  return {
    results,
    onlyInReference,
    onlyInModel,
    firstDivergence: first && { blob: first.blob, layers: first.layers },
    passed: results.filter((r) => r.verdict === 'pass').length,
    noise: results.filter((r) => r.verdict === 'pass' && r.rule === 'float32-noise').length,
    ...(truth !== undefined
      ? { truthRule: { noiseFactor: opts.noiseFactor ?? DEFAULT_NOISE_FACTOR, noiseCeiling: opts.noiseCeiling ?? DEFAULT_NOISE_CEILING, blobs: results.filter((r) => r.truth !== undefined).length } }
      : {}),
    failed: failedResults.length,
    skipped: results.filter((r) => r.verdict === 'skipped').length,
    ok: failedResults.length === 0 && results.some((r) => r.verdict === 'pass') && (opts.allowMissing === true || onlyInModel.length === 0),
    rtol,
    atol,
    absFloor,
  };
}
