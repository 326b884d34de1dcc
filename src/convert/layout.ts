/**
 * Layout helpers: Caffe axis <-> graph axis, host-side permutes, NCHW <-> NHWC in the graph; the
 * converter's implementation of the handlers' LayoutHelpers (the rule is in layers/convert-api.ts).
 */
import type { LayoutHelpers } from '../layers';
import type { GraphBuilder, TensorRef } from '../tfgraph';

/** Graph axis of Caffe axis `a` for a blob with `rank` axes (NCHW -> NHWC for rank 4). */
export function tfAxis(a: number, rank: number): number {
  return rank === 4 ? [0, 3, 1, 2][a] : a;
}

export const TO_NCHW = [0, 3, 1, 2] as const;
export const TO_NHWC = [0, 2, 3, 1] as const;

/**
 * Permutes row-major host data: out axis i is in axis perm[i]. Loops over the output with an
 * odometer of input offsets, so the cost is one add per element. `into` (if given) receives the
 * result and must not alias `data`.
 */
export function permuteHost(data: Float32Array, shape: readonly number[], perm: readonly number[], into?: Float32Array): Float32Array {
  const rank = shape.length;
  const out = into ?? new Float32Array(data.length);
  if (data.length === 0) return out;
  const inStride = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStride[i] = s;
    s *= shape[i];
  }
  const outShape = perm.map((p) => shape[p]);
  const step = perm.map((p) => inStride[p]);
  const last = rank - 1;
  const idx = new Array<number>(rank).fill(0);
  const innerN = outShape[last];
  const innerStep = step[last];
  let o = 0;
  let base = 0;
  for (;;) {
    for (let j = 0, off = base; j < innerN; j++, off += innerStep) out[o++] = data[off];
    // advance the odometer over all axes but the last
    let ax = last - 1;
    while (ax >= 0) {
      idx[ax]++;
      base += step[ax];
      if (idx[ax] < outShape[ax]) break;
      base -= step[ax] * outShape[ax];
      idx[ax] = 0;
      ax--;
    }
    if (ax < 0) break;
  }
  return out;
}

/** True when permuting moves only size-1 axes relative to each other, i.e. it is a reshape. */
function permIsReshape(shape: readonly number[], perm: readonly number[]): boolean {
  const order = perm.filter((p) => shape[p] !== 1);
  return order.every((p, i) => i === 0 || order[i - 1] < p);
}

/** Transpose in the graph, or a Reshape when the permutation does not move data. */
export function transposeOrReshape(g: GraphBuilder, x: TensorRef, perm: readonly number[], name: string): TensorRef {
  if (perm.every((p, i) => p === i)) return x;
  // Unknown dims count as "not 1".
  const shape = x.shape.map((d) => (d < 0 ? 2 : d));
  if (permIsReshape(shape, perm) && x.shape.filter((d) => d < 0).length <= 1) {
    return g.reshape(x, perm.map((p) => x.shape[p]), { name });
  }
  return g.transpose(x, perm, { name });
}

/** The tensor in Caffe's axis order (NHWC -> NCHW for rank 4). */
export function toCaffeOrder(g: GraphBuilder, x: TensorRef, name: string): TensorRef {
  return x.shape.length === 4 ? transposeOrReshape(g, x, TO_NCHW, name) : x;
}

/** From Caffe's axis order to the graph layout (NCHW -> NHWC for rank 4). */
export function fromCaffeOrder(g: GraphBuilder, x: TensorRef, name: string): TensorRef {
  return x.shape.length === 4 ? transposeOrReshape(g, x, TO_NHWC, name) : x;
}

/** Host data in Caffe order -> graph layout (NCHW -> NHWC when rank 4). */
export function hostToGraphLayout(data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  if (shape.length !== 4) return { data, shape: [...shape] };
  return { data: permuteHost(data, shape, TO_NHWC), shape: TO_NHWC.map((p) => shape[p]) };
}

/** A Caffe shape as a graph reshape target: axis 0 is free (-1) when the input's batch is. */
export function graphTarget(caffeShape: readonly number[], input: TensorRef): number[] {
  const t = [...caffeShape];
  if (input.shape[0] === -1 && t.length > 0) t[0] = -1;
  return t;
}

/** The helpers a layer's conversion gets, bound to the graph being built. */
export function layoutHelpers(g: GraphBuilder): LayoutHelpers {
  return {
    tfAxis,
    permuteHost,
    hostToGraphLayout,
    graphTarget,
    transposeOrReshape: (x, perm, name) => transposeOrReshape(g, x, perm, name),
    toCaffeOrder: (x, name) => toCaffeOrder(g, x, name),
    fromCaffeOrder: (x, name) => fromCaffeOrder(g, x, name),
  };
}
