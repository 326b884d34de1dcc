/** Helpers shared by several handlers' `onnx` functions (see onnx-api.ts). */
import { UnsupportedLayerError } from '../errors';
import type { OnnxConvertContext } from './onnx-api';

export function unsupportedOnnx(ctx: OnnxConvertContext, detail: string): UnsupportedLayerError {
  return new UnsupportedLayerError(ctx.layer.name ?? '(unnamed)', ctx.layer.type ?? '?', detail);
}

export function onnxOnly1(ctx: OnnxConvertContext, what: string): void {
  if (ctx.inputs.length !== 1 || ctx.outputShapes.length !== 1) throw unsupportedOnnx(ctx, `is supported with one bottom and one top only (${what})`);
}

const ones = (n: number): number[] => new Array<number>(Math.max(0, n)).fill(1);

/** A float scalar constant (a 0-axis initializer). */
export function scalar(ctx: OnnxConvertContext, part: string, v: number): string {
  return ctx.g.floatConst(ctx.name(part), [v], []);
}

/**
 * Dims of an operand covering Caffe axes [axis, axis + opShape.length) of a blob with `rank`
 * axes: trailing 1s so that ONNX's right-aligned broadcasting puts it at `axis` (the leading
 * axes are implied).
 */
export function operandDims(opShape: readonly number[], axis: number, rank: number): number[] {
  return [...opShape, ...ones(rank - axis - opShape.length)];
}

/** A Caffe shape as a Reshape target: axis 0 is the free batch (-1), as on the TF.js target. */
export function batchFree(shape: readonly number[]): number[] {
  return shape.length === 0 ? [] : [-1, ...shape.slice(1)];
}

export function reshapeTo(ctx: OnnxConvertContext, x: string, target: readonly number[], out: string): string {
  return ctx.g.op('Reshape', [x, ctx.g.int64Const(ctx.name('shape'), target)], out);
}

/**
 * A graph value of Caffe shape `opShape` made to broadcast over a blob of `rank` axes at `axis`:
 * reshaped with trailing 1s unless it lines up from the right already.
 */
export function valueOperand(ctx: OnnxConvertContext, x: string, opShape: readonly number[], axis: number, rank: number, part: string): string {
  if (axis + opShape.length === rank) return x;
  const dims = operandDims(opShape, axis, rank);
  return reshapeTo(ctx, x, axis === 0 ? batchFree(dims) : dims, ctx.name(`${part}/reshape`));
}

/** A one-bottom, one-top conversion that is a single ONNX op named after the top. */
export function singleOnnxOp(opType: string): (ctx: OnnxConvertContext) => string[] {
  return (ctx) => [ctx.g.op(opType, [ctx.inputs[0]], ctx.outName(0))];
}
