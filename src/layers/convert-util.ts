/** Helpers shared by several handlers' `convert` functions. */
import { UnsupportedLayerError } from '../errors';
import type { TensorRef } from '../tfgraph';
import type { ConvertContext, ConvertFn, HostArray } from './convert-api';

export function unsupported(ctx: ConvertContext, detail: string): UnsupportedLayerError {
  return new UnsupportedLayerError(ctx.layer.name ?? '(unnamed)', ctx.layer.type ?? '?', detail);
}

export function only1(ctx: ConvertContext, what: string): void {
  if (ctx.inputs.length !== 1 || ctx.outputShapes.length !== 1) throw unsupported(ctx, `is supported with one bottom and one top only (${what})`);
}

/**
 * A per-channel (Caffe axis 1) host vector as an operand broadcasting over a blob of `rank`
 * axes in graph layout: [C] for NHWC and [N, C]; [C, 1, ...] for other ranks.
 */
export function channelShape(c: number, rank: number): number[] {
  if (rank === 4 || rank === 2) return [c];
  return [c, ...new Array<number>(Math.max(0, rank - 2)).fill(1)];
}

/**
 * A learned operand covering Caffe axes [axis, axis + k) of a blob with `rank` axes, as host data
 * in graph layout (size-1 elsewhere, so it broadcasts).
 */
export function hostOperand(ctx: ConvertContext, data: Float32Array, opShape: readonly number[], axis: number, rank: number): HostArray {
  const full = new Array<number>(rank).fill(1);
  opShape.forEach((d, i) => (full[axis + i] = d));
  const h = ctx.layout.hostToGraphLayout(data, full);
  // Leading 1s are implied by broadcasting; dropping them keeps a per-channel operand 1-D.
  let s = 0;
  while (s < h.shape.length - 1 && h.shape[s] === 1) s++;
  return { data: h.data, shape: h.shape.slice(s) };
}

/**
 * A graph tensor (a blob of Caffe shape `opShape`) made to broadcast over a blob of `rank` axes
 * at Caffe axis `axis`: to Caffe order, reshape with 1s around it, to graph layout.
 */
export function tensorOperand(ctx: ConvertContext, t: TensorRef, opShape: readonly number[], axis: number, rank: number, part: string): TensorRef {
  const { g, layout } = ctx;
  const full = new Array<number>(rank).fill(1);
  opShape.forEach((d, i) => (full[axis + i] = d));
  if (t.shape.length === rank && full.every((d, i) => d === opShape[i])) return t; // same layout already
  const native = layout.toCaffeOrder(t, ctx.name(`${part}/nchw`));
  const target = [...full];
  if (axis === 0 && native.shape[0] === -1) target[0] = -1;
  const shaped = native.shape.length === target.length && native.shape.every((d, i) => d === target[i])
    ? native
    : g.reshape(native, target, { name: ctx.name(`${part}/reshape`) });
  return layout.fromCaffeOrder(shaped, ctx.name(`${part}/layout`));
}

/** A one-bottom, one-top conversion that is a single graph op named after the top. */
export function singleOp(f: (ctx: ConvertContext, x: TensorRef, o: { name: string }) => TensorRef): ConvertFn {
  return (ctx) => [f(ctx, ctx.inputs[0], { name: ctx.outName(0) })];
}
