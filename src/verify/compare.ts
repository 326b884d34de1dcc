/**
 * Blob-by-blob comparison of a converted model's blobs with reference blobs (real Caffe's), in
 * the net's topological order. Pure: no I/O, no backend.
 *
 * Tolerances (defaults, see docs/parity.md):
 * - Ordinary blobs pass when max|mine - ref| <= rtol * max|ref|, rtol = 1e-4. Float32 carries
 *   ~7 significant digits; summation order differs between Caffe's BLAS and TF.js kernels
 *   (im2col GEMM vs direct/Winograd convolution, folded BatchNorm), so each layer adds errors of a
 *   few ulps of the blob's magnitude, and after ~150 layers of a deep SENet they reach ~1e-5 of
 *   the largest activation. 1e-4 leaves a 10x margin yet catches any real bug (a wrong pad, a
 *   missed BatchNorm scale factor, a transposed weight), which is off by 1e-2 or more. Measuring
 *   relative to the blob's largest magnitude rather than elementwise avoids flagging values near
 *   zero, whose elementwise relative error is meaningless.
 * - Probability blobs (every reference value in [0, 1] and each row along axis 1 summing to 1)
 *   pass when max|mine - ref| <= atol, atol = 1e-5: probabilities are already on an absolute
 *   scale, and softmax over 1000 classes puts most values near 1e-3, where a relative bound on
 *   the largest value would be too loose for the small ones.
 * - A blob whose reference is all zeros passes when max|mine| <= atol.
 */

export const DEFAULT_RTOL = 1e-4;
export const DEFAULT_ATOL = 1e-5;

export interface BlobArray {
  data: Float32Array;
  shape: number[];
}

export type Verdict = 'pass' | 'fail' | 'shape-mismatch' | 'skipped';

export interface BlobResult {
  blob: string;
  /** Layers writing the blob, in net order (the last one produced the compared value); may be empty. */
  layers: string[];
  verdict: Verdict;
  kind: 'probabilities' | 'values';
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
  /** Why skipped, or what mismatched. */
  note?: string;
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
  passed: number;
  failed: number;
  skipped: number;
  ok: boolean;
  rtol: number;
  atol: number;
}

export interface CompareOptions {
  rtol?: number;
  atol?: number;
}

export interface ModelBlobInfo {
  /** Caffe blob name. */
  name: string;
  /** Layers writing it, in net order (empty when unknown, e.g. from a model folder). */
  layers: string[];
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

/** A reference blob that holds probabilities: every value in [0,1], each row along axis 1 summing to 1. */
export function looksLikeProbabilities(ref: BlobArray): boolean {
  const { data, shape } = ref;
  if (data.length === 0 || shape.length < 2) return false;
  for (let i = 0; i < data.length; i++) if (!(data[i] >= 0 && data[i] <= 1)) return false;
  // Softmax over axis 1: for each (n, spatial) position the C values sum to 1.
  const n = shape[0];
  const c = shape[1];
  if (c < 2) return false;
  const inner = data.length / (n * c);
  for (let a = 0; a < n; a++) {
    for (let s = 0; s < inner; s++) {
      let sum = 0;
      for (let k = 0; k < c; k++) sum += data[(a * c + k) * inner + s];
      if (Math.abs(sum - 1) > 1e-3) return false;
    }
  }
  return true;
}

/** Compares one blob. */
export function compareBlob(info: ModelBlobInfo, mine: BlobArray, ref: BlobArray, opts: CompareOptions = {}): BlobResult {
  const rtol = opts.rtol ?? DEFAULT_RTOL;
  const atol = opts.atol ?? DEFAULT_ATOL;
  const base = { blob: info.name, layers: info.layers, shape: mine.shape.slice(), refShape: ref.shape.slice() };
  if (!sameShape(mine.shape, ref.shape) || mine.data.length !== ref.data.length) {
    return {
      ...base, verdict: 'shape-mismatch', kind: 'values', maxAbsError: Infinity, maxRelError: Infinity, refMax: NaN, bound: NaN, worstIndex: -1,
      note: `model shape [${mine.shape.join(', ')}] vs reference [${ref.shape.join(', ')}]`,
    };
  }
  let maxAbs = 0;
  let refMax = 0;
  let worst = -1;
  for (let i = 0; i < ref.data.length; i++) {
    const r = ref.data[i];
    const d = Math.abs(mine.data[i] - r);
    // NaN anywhere (ours or theirs) is an infinite error, never a pass.
    const e = Number.isNaN(d) ? Infinity : d;
    if (worst < 0 || e > maxAbs) {
      maxAbs = e;
      worst = i;
    }
    const m = Math.abs(r);
    if (m > refMax) refMax = m;
  }
  const kind = looksLikeProbabilities(ref) ? 'probabilities' : 'values';
  const bound = kind === 'probabilities' || refMax === 0 ? atol : rtol * refMax;
  const maxRel = refMax > 0 ? maxAbs / refMax : maxAbs;
  return { ...base, verdict: maxAbs <= bound ? 'pass' : 'fail', kind, maxAbsError: maxAbs, maxRelError: maxRel, refMax, bound, worstIndex: worst };
}

/** Caffe's automatic split copies: `<blob>_<layer>_<i>_split_<j>`; returns the source blob when it is one of `known`. */
export function splitSource(name: string, known: ReadonlySet<string>): string | undefined {
  if (!/_split_\d+$/.test(name)) return undefined;
  let best: string | undefined;
  for (const k of known) if (name.startsWith(`${k}_`) && (best === undefined || k.length > best.length)) best = k;
  return best;
}

/**
 * Compares every blob present in both, in the model's (topological) order. Reference blobs that
 * are Caffe split copies of a model blob are listed as skipped; the rest that the model lacks are
 * listed in `onlyInReference`. No blob compared at all is a failure, not a vacuous pass.
 */
export function compareBlobs(
  order: readonly ModelBlobInfo[],
  reference: ReadonlyMap<string, BlobArray>,
  mine: ReadonlyMap<string, BlobArray>,
  opts: CompareOptions = {},
): ParityReport {
  const rtol = opts.rtol ?? DEFAULT_RTOL;
  const atol = opts.atol ?? DEFAULT_ATOL;
  const modelNames = new Set(order.map((b) => b.name));
  const results: BlobResult[] = [];
  for (const info of order) {
    const ref = reference.get(info.name);
    const got = mine.get(info.name);
    if (ref === undefined || got === undefined) continue;
    results.push(compareBlob(info, got, ref, { rtol, atol }));
  }
  const onlyInReference: string[] = [];
  // Split copies may be named in file form ('/' -> '__') when read from a folder of .npy files.
  const splitBases = new Set([...modelNames, ...[...modelNames].map((n) => n.replace(/\//g, '__'))]);
  for (const [name, ref] of reference) {
    if (modelNames.has(name)) continue;
    const src = splitSource(name, splitBases);
    if (src !== undefined) {
      results.push({
        blob: name, layers: [], verdict: 'skipped', kind: 'values', shape: [], refShape: ref.shape.slice(), maxAbsError: NaN, maxRelError: NaN,
        refMax: NaN, bound: NaN, worstIndex: -1, note: `Caffe's split copy of '${src}' (not a separate tensor in the model)`,
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
    failed: failedResults.length,
    skipped: results.filter((r) => r.verdict === 'skipped').length,
    ok: failedResults.length === 0 && results.some((r) => r.verdict === 'pass'),
    rtol,
    atol,
  };
}
