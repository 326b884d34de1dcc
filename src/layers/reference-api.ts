/**
 * What a layer handler's reference members receive and return: `forward` (the plain-loop NCHW
 * kernel with Caffe's TEST-phase semantics, run by src/reference's forward pass) and
 * `randomInit` / `calibrate` (its deterministic random weights, run by src/reference's
 * randomWeights). The loops live in src/reference; each type's rule lives in its handler.
 *
 * A kernel computes in one of two numeric modes, chosen by the NumericPolicy it is given:
 * - float32 storage (FLOAT32): every top is stored as float32; sums are taken in float64 in a
 *   fixed order and rounded once when stored, and where Caffe's own float32 steps are part of the
 *   semantics the kernel rounds with `num.round` (BatchNorm's statistics, Scale's x * gamma before
 *   beta, Eltwise PROD's products). The fixtures' calibrated weights depend on these exact orders
 *   and roundings (their sha256 is checked by test/parity).
 * - float64 (FLOAT64): the same orders with no float32 rounding anywhere, the exact answer the
 *   float32 runtimes (Caffe, the converted model) approximate.
 */
import type { LayerParameter } from '../schema';
import type { Shape } from './shape';

/** A blob's values: float32 storage, or the float64 mode's. */
export type Values = Float32Array | Float64Array;

/** A blob: NCHW values in Caffe's row-major order. */
export interface Tensor<D extends Values = Float32Array> {
  shape: number[];
  data: D;
}

/** The numeric mode of a reference forward pass (see the module comment). */
export interface NumericPolicy<D extends Values = Values> {
  readonly name: 'float32' | 'float64';
  /** Storage for n values. */
  alloc(n: number): D;
  /** A value rounded to storage precision, where Caffe rounds in float32 mid-computation. */
  round(x: number): number;
}

export const FLOAT32: NumericPolicy<Float32Array> = {
  name: 'float32',
  alloc: (n) => new Float32Array(n),
  round: Math.fround,
};

export const FLOAT64: NumericPolicy<Float64Array> = {
  name: 'float64',
  alloc: (n) => new Float64Array(n),
  round: (x) => x,
};

/** What a reference kernel gets: one layer of the TEST net, its bottoms and stored blobs. */
export interface ForwardContext {
  readonly layer: LayerParameter;
  readonly bottoms: readonly Tensor<Values>[];
  /** Stored blobs in Caffe's order (at least as many as the handler's blobShapes). */
  readonly blobs: readonly Tensor<Values>[];
  /** The tops' shapes by the handler's shape rule. */
  readonly outputShapes: readonly Shape[];
  readonly num: NumericPolicy;
  /** A zero tensor of `shape` in the policy's storage. */
  alloc(shape: readonly number[]): Tensor<Values>;
}

/** Computes the tops (one per top, new tensors; bottoms are never written). */
export type ForwardFn = (ctx: ForwardContext) => Tensor<Values>[];

/** A deterministic random stream (src/reference/prng.ts's Rng). */
export interface RandomStream {
  normal(): number;
  uniform(lo: number, hi: number): number;
}

/** What a random-init rule gets for one layer. */
export interface RandomInitContext {
  readonly layer: LayerParameter;
  /** The handler's blobShapes for this layer. */
  readonly blobShapes: readonly Shape[];
  /** Number of bottoms (Scale with two bottoms learns no gamma). */
  readonly bottoms: number;
  /** The stream of blob i (or of a calibration draw: 100, 101); each call starts it afresh. */
  stream(i: number): RandomStream;
  /** BatchNorm scale factor F stored in its blob 2; its stored statistics are multiplied by F. */
  readonly bnScaleFactor: number;
  /** Gamma range of a one-bottom Scale ([0.5, 1.5], or residualGamma for a branch-ending Scale). */
  readonly gamma: readonly [number, number];
}

/** One array per blob shape, in Caffe's order. */
export type RandomInitFn = (ctx: RandomInitContext) => Float32Array[];

/**
 * Sets the layer's stored blobs from what reaches it in a calibration forward pass (BatchNorm:
 * its statistics from its bottom's), in place.
 */
export type CalibrateFn = (ctx: RandomInitContext, bottoms: readonly Tensor<Values>[], blobs: readonly Tensor<Float32Array>[]) => void;

export function fillNormal(n: number, rng: RandomStream, sd: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * sd;
  return out;
}

export function fillUniform(n: number, rng: RandomStream, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(lo, hi);
  return out;
}

/** A new tensor applying f to every value of x. */
export function mapValues(ctx: ForwardContext, x: Tensor<Values>, f: (v: number) => number): Tensor<Values> {
  const out = ctx.alloc(x.shape);
  for (let i = 0; i < x.data.length; i++) out.data[i] = f(x.data[i]);
  return out;
}

