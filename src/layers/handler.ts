/**
 * The layer-handler interface: everything the toolkit knows about one Caffe layer type, in one
 * place: shapes, learnable blobs, cost, the conversions to TF.js and ONNX (`convert.tfjs`, see
 * convert-api.ts; `convert.onnx`, see onnx-api.ts), and the reference kernel and random-init rule (`forward`,
 * `randomInit`, see reference-api.ts).
 */
import { NetError } from '../errors';
import type { LayerParameter } from '../schema';
import type { FusedActivation } from '../tfgraph';
import type { ConvertFn, LayerBlob } from './convert-api';
import type { OnnxConvertFn } from './onnx-api';
import type { CalibrateFn, ForwardFn, RandomInitFn } from './reference-api';
import type { Shape } from './shape';

export type { ConvertFn, OnnxConvertFn, Shape };

/**
 * A handler's conversions, one per target it supports (TEST phase). A new target is one more
 * key here, filled by the handlers that support it, and one emitter in src/convert.
 */
export interface LayerConverters {
  /** TF.js GraphModel (NHWC inside, see convert-api.ts). */
  readonly tfjs?: ConvertFn;
  /** ONNX (NCHW as Caffe, see onnx-api.ts). */
  readonly onnx?: OnnxConvertFn;
}

/** A conversion target: a key of LayerConverters. */
export type ConvertTarget = keyof LayerConverters;

/** How many bottoms or tops a layer type takes, inclusive; `max` may be Infinity. */
export interface Arity {
  min: number;
  max: number;
}

export interface LayerHandler {
  /** The Caffe type string, as in `LayerParameter.type`. */
  readonly type: string;
  /** The LayerParameter field holding this type's parameters, if it has one. */
  readonly paramField?: keyof LayerParameter;
  readonly bottoms: Arity;
  readonly tops: Arity;
  /** Computes correctly when its top names the same blob as its bottom (Caffe's in-place use). */
  readonly inPlaceOk: boolean;
  /**
   * For multi-bottom types: the bottoms a top may alias (Axpy: only Y, [2]). When absent,
   * `inPlaceOk` allows aliasing bottom 0 only.
   */
  readonly inPlaceBottoms?: readonly number[];
  /**
   * Shapes of the tops, given the bottoms' shapes, by Caffe's Reshape rule. Throws NetError
   * for parameters Caffe would reject and for bottoms that do not fit together.
   */
  outputShapes(layer: LayerParameter, inputShapes: Shape[]): Shape[];
  /**
   * Shapes of the blobs stored in the caffemodel for this layer, in Caffe's order
   * (Convolution [weights, bias?]; BatchNorm [mean, variance, scale_factor]).
   */
  blobShapes(layer: LayerParameter, inputShapes: Shape[]): Shape[];
  /**
   * Indices into blobShapes of blobs that are running statistics rather than learned
   * parameters (BatchNorm's three); they are counted apart from the parameters.
   */
  readonly statisticBlobs?: readonly number[];
  /**
   * Multiply-adds for one image (one index of the axes before the channel or flattening axis).
   * Only Convolution and InnerProduct count; every other type returns 0.
   */
  macs(layer: LayerParameter, inputShapes: Shape[], outputShapes: Shape[]): number;
  /** Conversions (TEST phase), one per target; a type without one for a target cannot be converted to it. */
  readonly convert?: LayerConverters;

  // --- The reference (src/reference runs these; see reference-api.ts) ---
  /** Reference forward kernel (TEST phase); absent for types the reference cannot compute. */
  readonly forward?: ForwardFn;
  /** Random weights for the stored blobs; absent: N(0, 0.05) for every blob. */
  readonly randomInit?: RandomInitFn;
  /** Calibration of the random stored blobs from a forward pass (BatchNorm's statistics). */
  readonly calibrate?: CalibrateFn;

  // --- What the layer is in an inference graph, how it is drawn, what the converter may rewrite ---
  // (read by src/convert, src/reference, src/report and docs/supported-layers.md; see roles.ts)

  /** The layer's part in inference; default 'computed'. */
  readonly role?: LayerRole;
  /** Colour family on the net page (`senet show`); default 'other'. */
  readonly category?: LayerCategory;
  /** This layer is a per-channel affine the converter may fold into the layer before it. */
  readonly channelAffine?: ChannelAffineHook;
  /** This layer is an activation the converter may fuse into the layer before it; undefined when this instance is not. */
  fusedActivation?(layer: LayerParameter): FusedActivation | undefined;
  /** What this layer takes over from the in-place layers after it (see ConvertContext.fold, .activation). */
  readonly absorbs?: { readonly channelAffine?: boolean; readonly activation?: boolean };
  /** For docs/supported-layers.md: notes, and per target the cases a conversion refuses and why. */
  readonly docs?: LayerDocs;
}

/**
 * - `input`: the net's input (Input layer); the reference needs all its tops given;
 * - `data`: reads its tops from data files; the converter replaces it by the graph input, the
 *   reference needs its first top (the image) given, later ones are labels;
 * - `train-only`: losses and Accuracy, only meaningful with labels: dropped at inference;
 * - `dropped`: computes nothing (Silence): dropped at inference;
 * - `computed`: part of the forward pass.
 */
export type LayerRole = 'input' | 'data' | 'train-only' | 'dropped' | 'computed';

/** Colour families of the net page. */
export type LayerCategory = 'data' | 'conv' | 'fc' | 'pool' | 'norm' | 'scale' | 'act' | 'gate' | 'merge' | 'concat' | 'out' | 'other';

/**
 * A per-channel (axis 1) affine y = x * mul + add (BatchNorm, Scale) that the converter folds
 * into the weights and bias of the layer before it when that layer absorbs one.
 */
export interface ChannelAffineHook {
  /** May start a folded run (BatchNorm), or only continue one (Scale after a BatchNorm). */
  readonly leads: boolean;
  /** Whether this instance is such an affine over `channels` channels (its blobs' shapes from the handler). */
  foldable(layer: LayerParameter, blobShapes: readonly Shape[], channels: number): boolean;
  /** The affine from the layer's blobs; `add` absent is zero. */
  affine(layer: LayerParameter, blobs: readonly LayerBlob[]): { mul: ArrayLike<number>; add?: ArrayLike<number> };
}

export interface LayerDocs {
  /** One line on what the type does here (how it converts, or why it does not). */
  readonly notes?: string;
  /** Per target: the parameter cases its conversion refuses, each with why. */
  readonly refused?: { readonly [T in ConvertTarget]?: readonly string[] };
}

/** Elements in shape[start, end). An empty range is 1, as Caffe's count(). */
export function countOf(shape: readonly number[], start = 0, end = shape.length): number {
  let n = 1;
  for (let i = start; i < end; i++) n *= shape[i];
  return n;
}

export function layerName(layer: LayerParameter): string {
  return layer.name ?? '(unnamed)';
}

/** A NetError about this layer. */
export function netError(layer: LayerParameter, detail: string): NetError {
  return new NetError(layerName(layer), `(${layer.type ?? '?'}) ${detail}`);
}

/** Caffe's CanonicalAxisIndex: -1 is the last axis; out of range is an error. */
export function canonicalAxis(layer: LayerParameter, axis: number, numAxes: number, what = 'axis'): number {
  if (axis < -numAxes || axis >= numAxes) {
    throw netError(layer, `${what} ${axis} is out of range for a blob with ${numAxes} axes`);
  }
  return axis < 0 ? axis + numAxes : axis;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.map((d) => (d < 0 ? '?' : String(d))).join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks that every bottom has the same shape as the first; returns it. */
export function requireSameShapes(layer: LayerParameter, inputShapes: Shape[]): Shape {
  const first = inputShapes[0];
  for (let i = 1; i < inputShapes.length; i++) {
    if (!sameShape(first, inputShapes[i])) {
      const n = (j: number): string => bottomLabel(layer, j) + ' ';
      throw netError(
        layer,
        `bottoms must have the same shape: ${n(0)}${shapeText(first)} vs ${n(i)}${shapeText(inputShapes[i])}`,
      );
    }
  }
  return first;
}

/** "'name'" of bottom i, or "bottom i" when the layer does not say. */
export function bottomLabel(layer: LayerParameter, i: number): string {
  const b = layer.bottom?.[i];
  return b === undefined ? `bottom ${i}` : `'${b}'`;
}

export const ONE: Arity = { min: 1, max: 1 };
export const NONE: Arity = { min: 0, max: 0 };
export const ANY_FROM_1: Arity = { min: 1, max: Infinity };

/** Zero MACs (everything but Convolution and InnerProduct). */
export function noMacs(): number {
  return 0;
}

/** No learnable blobs. */
export function noBlobs(): Shape[] {
  return [];
}
