/** BatchNorm: normalises over every axis but 1; its blobs are statistics, not learned. */
import { UnsupportedLayerError } from '../errors';
import type { LayerParameter } from '../schema';
import type { TensorRef } from '../tfgraph';
import type { ConvertContext, ConvertFn, LayerBlob } from './convert-api';
import { channelShape } from './convert-util';
import { type LayerHandler, ONE, noMacs, netError } from './handler';

/** BatchNorm's TEST-phase affine (scale, shift) per channel, in float64. */
export function batchNormAffine(layer: LayerParameter, blobs: readonly LayerBlob[]): { mul: Float64Array; add: Float64Array } {
  const [mean, variance, factorBlob] = blobs;
  const sf = factorBlob.data[0];
  const factor = sf === 0 ? 0 : 1 / sf;
  const eps = layer.batch_norm_param?.eps ?? 1e-5;
  const c = mean.data.length;
  const mul = new Float64Array(c);
  const add = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    // Caffe works in float32: scaled statistics are rounded before use.
    const m = Math.fround(mean.data[i] * factor);
    const v = Math.fround(variance.data[i] * factor);
    const inv = 1 / Math.sqrt(Math.fround(v + eps));
    mul[i] = inv;
    add[i] = -m * inv;
  }
  return { mul, add };
}

/** Batch statistics at test time cannot be reproduced by a converted model (also checked when folding). */
export function checkGlobalStats(layer: LayerParameter): void {
  if (layer.batch_norm_param?.use_global_stats === false) {
    throw new UnsupportedLayerError(
      layer.name ?? '(unnamed)',
      layer.type ?? '?',
      'has use_global_stats: false (batch statistics at test time) which a converted model cannot reproduce',
    );
  }
}

/** x * mul + add per channel (axis 1), either part optional. */
function channelAffine(ctx: ConvertContext, rank: number, mul: Float64Array | null, add: Float64Array | null): TensorRef {
  const { g } = ctx;
  const shape = channelShape((mul ?? add)!.length, rank);
  let y = ctx.inputs[0];
  if (mul !== null) {
    const name = add === null ? ctx.outName(0) : ctx.name('mul');
    y = g.mul(y, g.constFloat(ctx.name('scale'), Float32Array.from(mul), shape), { name });
  }
  if (add !== null) y = g.add(y, g.constFloat(ctx.name('shift'), Float32Array.from(add), shape), { name: ctx.outName(0) });
  return y;
}

const convertBatchNorm: ConvertFn = (ctx) => {
  checkGlobalStats(ctx.layer);
  const { mul, add } = batchNormAffine(ctx.layer, ctx.blobs);
  return [channelAffine(ctx, ctx.inputShapes[0].length, mul, add)];
};

export const batchNorm: LayerHandler = {
  type: 'BatchNorm',
  paramField: 'batch_norm_param',
  bottoms: ONE,
  tops: ONE,
  inPlaceOk: true,
  outputShapes: (_layer, [input]) => [input.slice()],
  blobShapes(layer, [input]) {
    // Caffe takes the channel count from axis 1, or 1 for a 1-axis blob.
    const c = input.length === 1 ? 1 : input[1];
    if (input.length === 0) throw netError(layer, 'input must have at least one axis');
    return [[c], [c], [1]];
  },
  statisticBlobs: [0, 1, 2],
  macs: noMacs,
  convert: convertBatchNorm,
};
