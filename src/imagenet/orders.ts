/**
 * ImageNet class orders and the maps between them. Here, above src/convert, because the converter
 * reorders classifiers (senet convert --labels) and src/verify reads the orders back.
 *
 * - 'standard': Caffe's order, the 1000 synset ids sorted (data/ilsvrc12/synsets.txt, val.txt).
 * - 'senet': the order of the official SENet caffemodels and of the release's
 *   ILSVRC2017_val.txt, which is the ILSVRC2012 devkit order (ILSVRC2012_ID - 1).
 *
 * Permutations are "gather" arrays: `perm[newIndex] = oldIndex`, so `out[j] = in[perm[j]]`.
 */
import { SenetError, UsageError } from '../errors';
import { IMAGENET_DEVKIT_CLASSES } from './classes';

/** A class order (also the model metadata's ModelExtra.labelOrder, so writer and readers share it). */
export type LabelOrder = 'senet' | 'standard';
export const LABEL_ORDERS: readonly LabelOrder[] = ['senet', 'standard'];

export interface ClassInfo {
  synset: string;
  words: string;
}

let cache: { senet: ClassInfo[]; standard: ClassInfo[]; senetToStandard: number[] } | undefined;

function tables(): NonNullable<typeof cache> {
  if (cache) return cache;
  const senet = IMAGENET_DEVKIT_CLASSES.map(([synset, words]) => ({ synset, words }));
  const sorted = senet.map((c, i) => ({ c, i })).sort((a, b) => (a.c.synset < b.c.synset ? -1 : a.c.synset > b.c.synset ? 1 : 0));
  const senetToStandard = new Array<number>(senet.length);
  sorted.forEach((s, std) => {
    senetToStandard[s.i] = std;
  });
  cache = { senet, standard: sorted.map((s) => s.c), senetToStandard };
  return cache;
}

/** The 1000 classes in the given order. */
export function imagenetClasses(order: LabelOrder): readonly ClassInfo[] {
  return tables()[order];
}

/** Index map between orders: `map[i in from] = index in to`. */
export function indexMap(from: LabelOrder, to: LabelOrder): number[] {
  const { senetToStandard } = tables();
  if (from === to) return senetToStandard.map((_, i) => i);
  if (from === 'senet') return senetToStandard.slice();
  return invertPermutation(senetToStandard);
}

/**
 * Gather permutation that reorders a classifier's outputs from `from` to `to`:
 * `out[j] = in[perm[j]]` (perm[j] = index in `from` of the class at `to` index j).
 */
export function classifierPermutation(from: LabelOrder, to: LabelOrder): number[] {
  return indexMap(to, from);
}

/** Inverse of a permutation; throws when `p` is not one. */
export function invertPermutation(p: readonly number[]): number[] {
  const inv = new Array<number>(p.length).fill(-1);
  p.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= p.length || inv[v] !== -1) throw new SenetError(`not a permutation of 0..${p.length - 1} (entry ${i} = ${v})`);
    inv[v] = i;
  });
  return inv;
}

export interface ClassifierBlobs {
  /** InnerProduct weight: [num_output, K] (Caffe's default), or [K, num_output] when `transpose`. */
  weight: { data: Float32Array; shape: number[] };
  bias?: { data: Float32Array; shape: number[] };
}

/**
 * Reorders the outputs of an InnerProduct layer (its weight rows and bias entries) with the gather
 * permutation `perm` (out class j = in class perm[j]), e.g. classifierPermutation('senet',
 * 'standard') to make an official SENet output Caffe's standard order. Pure: returns new arrays.
 * `transpose` is the layer's inner_product_param.transpose (weight stored [K, num_output]).
 */
export function permuteClassifier(blobs: ClassifierBlobs, perm: readonly number[], transpose = false): ClassifierBlobs {
  const { weight, bias } = blobs;
  if (weight.shape.length !== 2) throw new SenetError(`classifier weight must be 2-D, got [${weight.shape.join(', ')}]`);
  const [rows, cols] = weight.shape;
  const outputs = transpose ? cols : rows;
  const k = transpose ? rows : cols;
  invertPermutation(perm);
  if (perm.length !== outputs) throw new SenetError(`the classifier has ${outputs} outputs but the class map has ${perm.length}`);
  if (bias !== undefined && bias.data.length !== outputs) throw new SenetError(`the classifier bias has ${bias.data.length} entries, expected ${outputs}`);
  const w = new Float32Array(weight.data.length);
  if (!transpose) {
    for (let j = 0; j < outputs; j++) w.set(weight.data.subarray(perm[j] * k, perm[j] * k + k), j * k);
  } else {
    for (let r = 0; r < k; r++) for (let j = 0; j < outputs; j++) w[r * outputs + j] = weight.data[r * outputs + perm[j]];
  }
  const out: ClassifierBlobs = { weight: { data: w, shape: weight.shape.slice() } };
  if (bias !== undefined) out.bias = { data: Float32Array.from(perm, (p) => bias.data[p]), shape: bias.shape.slice() };
  return out;
}

/** Applies a gather permutation to one row of scores. */
export function permuteScores(scores: ArrayLike<number>, perm: readonly number[]): Float32Array {
  return Float32Array.from(perm, (p) => scores[p]);
}

export function parseLabelOrder(s: string | undefined, what: string): LabelOrder | undefined {
  if (s === undefined) return undefined;
  if (s === 'senet' || s === 'standard') return s;
  throw new UsageError(`${what} '${s}' must be one of ${LABEL_ORDERS.join(', ')}`);
}
