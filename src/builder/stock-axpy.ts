/**
 * The SENet release's `Axpy` (top = a * X + Y, bottoms [a, X, Y], a: N x C x 1 x 1) written with
 * stock BVLC Caffe layers, in one place for both users: `--flavor bvlc` (the generators, through
 * NetBuilder) and `senet portable` (any prototxt). Reshape the gate to N x C, a two-bottom Scale on
 * axis 0 (one factor per sample and channel), an Eltwise SUM. None of them has weights, so the
 * learnable layers keep their names and the same caffemodel loads into either form.
 */
import type { LayerParameter } from '../schema';

/** Blob names of a gated product: `x * gate` channel-wise, written to `out`. */
export interface StockScaleBlobs {
  gate: string;
  x: string;
  out: string;
}

/** `x * gate` channel-wise: `<prefix>_prob_reshape` (Reshape) then `<prefix>_scale` (Scale, top `out`). */
export function stockScaleLayers(prefix: string, b: StockScaleBlobs): LayerParameter[] {
  const flat = `${prefix}_prob_reshape`;
  return [
    { name: flat, type: 'Reshape', bottom: [b.gate], top: [flat], reshape_param: { shape: { dim: [0, 0] } } },
    { name: `${prefix}_scale`, type: 'Scale', bottom: [b.x, flat], top: [b.out], scale_param: { axis: 0, bias_term: false } },
  ];
}

/**
 * a * X + Y as stock layers: the scale above into `<prefix>_scale`, then the Eltwise SUM of it and
 * Y, a layer named `name` (default `out`) writing the blob `out`.
 */
export function stockAxpyLayers(prefix: string, b: { a: string; x: string; y: string; out: string; name?: string }): LayerParameter[] {
  const scaled = `${prefix}_scale`;
  return [...stockScaleLayers(prefix, { gate: b.a, x: b.x, out: scaled }), { name: b.name ?? b.out, type: 'Eltwise', bottom: [scaled, b.y], top: [b.out] }];
}
