/**
 * The layer-handler interface: everything the toolkit knows about one Caffe layer type, in one
 * place: shapes, learnable blobs, cost, the conversions to TF.js (`convert`, see convert-api.ts)
 * and ONNX (`onnx`, see onnx-api.ts), and the reference kernel and random-init rule (`forward`,
 * `randomInit`, see reference-api.ts).
 */
import { NetError } from '../errors';
import type { LayerParameter } from '../schema';
import type { ConvertFn } from './convert-api';
import type { CalibrateFn, ForwardFn, RandomInitFn } from './reference-api';
import type { OnnxConvertFn } from './onnx-api';

export type { ConvertFn, OnnxConvertFn };

/** Caffe's shape of a blob; a -1 entry is a dimension only data can tell (see data.ts). */
export type Shape = number[];

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
  /** TF conversion (TEST phase); absent for types that cannot be converted. */
  readonly convert?: ConvertFn;
  /** ONNX conversion (TEST phase, NCHW as Caffe); absent for types that cannot be converted. */
  readonly onnx?: OnnxConvertFn;

  // --- The reference (src/reference runs these; see reference-api.ts) ---
  /** Reference forward kernel (TEST phase); absent for types the reference cannot compute. */
  readonly forward?: ForwardFn;
  /**
   * The reference skips the layer: it computes nothing a deploy net would use at test time
   * (losses, Accuracy, Silence); its tops get no value.
   */
  readonly notEvaluated?: boolean;
  /**
   * A data layer's tops the reference needs given as inputs: 'all' (Input) or 'first' (the image;
   * later tops are labels that only feed losses).
   */
  readonly givenTops?: 'all' | 'first';
  /** Random weights for the stored blobs; absent: N(0, 0.05) for every blob. */
  readonly randomInit?: RandomInitFn;
  /** Calibration of the random stored blobs from a forward pass (BatchNorm's statistics). */
  readonly calibrate?: CalibrateFn;
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
