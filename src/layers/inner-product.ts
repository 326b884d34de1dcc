/** InnerProduct: flattens the axes from `axis` on and multiplies by an N x K matrix. */
import type { LayerParameter } from '../schema';
import { type LayerHandler, type Shape, canonicalAxis, countOf, netError } from './handler';

function geometry(layer: LayerParameter, input: Shape): { axis: number; k: number; n: number; bias: boolean; transpose: boolean } {
  const p = layer.inner_product_param ?? {};
  const axis = canonicalAxis(layer, p.axis ?? 1, input.length);
  const n = p.num_output ?? 0;
  if (n <= 0) throw netError(layer, 'num_output must be set and positive');
  return { axis, k: countOf(input, axis), n, bias: p.bias_term ?? true, transpose: p.transpose ?? false };
}

export const innerProduct: LayerHandler = {
  type: 'InnerProduct',
  paramField: 'inner_product_param',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  inPlaceOk: false,
  outputShapes(layer, [input]) {
    const g = geometry(layer, input);
    return [[...input.slice(0, g.axis), g.n]];
  },
  blobShapes(layer, [input]) {
    const g = geometry(layer, input);
    // transpose stores the weights as K x N.
    const weights = g.transpose ? [g.k, g.n] : [g.n, g.k];
    return g.bias ? [weights, [g.n]] : [weights];
  },
  macs(layer, [input]) {
    const g = geometry(layer, input);
    return g.k * g.n;
  },
};
