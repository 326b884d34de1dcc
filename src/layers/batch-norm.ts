/** BatchNorm: normalises over every axis but 1; its blobs are statistics, not learned. */
import { UnsupportedLayerError } from '../errors';
import { layerParam, type LayerParameter } from '../schema';
import type { TensorRef } from '../tfgraph';
import type { ConvertContext, ConvertFn, LayerBlob } from './convert-api';
import { channelShape } from './convert-util';
import { type LayerHandler, ONE, countOf, noMacs, netError } from './handler';
import { type CalibrateFn, type ForwardFn, type RandomInitFn, fillUniform } from './reference-api';
import type { OnnxConvertFn } from './onnx-api';
import { operandDims } from './onnx-util';

/** BatchNorm's TEST-phase affine (scale, shift) per channel, in float64. */
export function batchNormAffine(layer: LayerParameter, blobs: readonly LayerBlob[]): { mul: Float64Array; add: Float64Array } {
  const [mean, variance, factorBlob] = blobs;
  const sf = factorBlob.data[0];
  const factor = sf === 0 ? 0 : 1 / sf;
  const eps = layerParam(layer, 'batch_norm_param').eps;
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

/**
 * TEST-phase normalisation with Caffe's float32 steps kept (num.round): the scaled statistics,
 * variance + eps, its square root and x - mean. Batch statistics (use_global_stats false) are
 * taken in float64.
 */
const forwardBatchNorm: ForwardFn = (ctx) => {
  const x = ctx.bottoms[0];
  const w = ctx.blobs;
  const round = ctx.num.round;
  const bp = layerParam(ctx.layer, 'batch_norm_param');
  const eps = bp.eps;
  const C = x.shape.length > 1 ? x.shape[1] : 1;
  const outer = x.shape[0];
  const inner = countOf(x.shape, 2);
  const useGlobal = bp.use_global_stats ?? true;
  const mean = ctx.num.alloc(C);
  const variance = ctx.num.alloc(C);
  if (useGlobal) {
    const f = w[2].data[0];
    const sf = f === 0 ? 0 : 1 / f;
    for (let c = 0; c < C; c++) {
      mean[c] = round(sf * w[0].data[c]);
      variance[c] = round(sf * w[1].data[c]);
    }
  } else {
    for (let c = 0; c < C; c++) {
      let s = 0;
      let ss = 0;
      for (let n = 0; n < outer; n++) {
        for (let i = 0; i < inner; i++) {
          const v = x.data[(n * C + c) * inner + i];
          s += v;
          ss += v * v;
        }
      }
      const m = s / (outer * inner);
      mean[c] = m;
      variance[c] = ss / (outer * inner) - m * m;
    }
  }
  const out = ctx.alloc(x.shape);
  for (let n = 0; n < outer; n++) {
    for (let c = 0; c < C; c++) {
      const std = round(Math.sqrt(round(variance[c] + eps)));
      const base = (n * C + c) * inner;
      for (let i = 0; i < inner; i++) out.data[base + i] = round(x.data[base + i] - mean[c]) / std;
    }
  }
  return [out];
};

/** Mean U(-0.1, 0.1), variance U(0.5, 1.5), both times the scale factor F, which blob 2 holds. */
const randomBatchNorm: RandomInitFn = (ctx) => {
  const shapes = ctx.blobShapes;
  const factor = ctx.bnScaleFactor;
  const mean = fillUniform(countOf(shapes[0]), ctx.stream(0), -0.1, 0.1);
  const variance = fillUniform(countOf(shapes[1]), ctx.stream(1), 0.5, 1.5);
  if (factor !== 1) {
    for (let i = 0; i < mean.length; i++) mean[i] *= factor;
    for (let i = 0; i < variance.length; i++) variance[i] *= factor;
  }
  const f = new Float32Array(countOf(shapes[2]));
  f[0] = factor;
  return [mean, variance, f];
};

/**
 * Statistics from the per-channel mean m and variance v of what reaches the layer: stored mean
 * (m + U(-0.1, 0.1) sqrt(v)) F and variance v U(0.5, 1.5) F (streams 100 and 101), v floored at
 * 1e-4. Fewer than two values per channel keep the random statistics.
 */
const calibrateBatchNorm: CalibrateFn = (ctx, bottoms, blobs) => {
  const x = bottoms[0];
  const N = x.shape[0];
  const C = x.shape.length > 1 ? x.shape[1] : 1;
  const inner = countOf(x.shape) / (N * C);
  if (N * inner < 2) return;
  const factor = ctx.bnScaleFactor;
  const r0 = ctx.stream(100);
  const r1 = ctx.stream(101);
  const mean = blobs[0].data;
  const variance = blobs[1].data;
  for (let c = 0; c < C; c++) {
    let s = 0;
    let ss = 0;
    for (let b = 0; b < N; b++) {
      const base = (b * C + c) * inner;
      for (let i = 0; i < inner; i++) {
        const v = x.data[base + i];
        s += v;
        ss += v * v;
      }
    }
    const m = s / (N * inner);
    const v = Math.max(ss / (N * inner) - m * m, 1e-4);
    mean[c] = (m + r0.uniform(-0.1, 0.1) * Math.sqrt(v)) * factor;
    variance[c] = v * r1.uniform(0.5, 1.5) * factor;
  }
};

/** ONNX: the same float64-derived per-channel affine as Mul and Add (BatchNormalization would recompute it in float32). */
const onnxBatchNorm: OnnxConvertFn = (ctx) => {
  checkGlobalStats(ctx.layer);
  const { g } = ctx;
  const { mul, add } = batchNormAffine(ctx.layer, ctx.blobs);
  const rank = ctx.inputShapes[0].length;
  const dims = operandDims([mul.length], Math.min(1, rank - 1), rank);
  const y = g.op('Mul', [ctx.inputs[0], g.floatConst(ctx.name('scale'), Float32Array.from(mul), dims)], ctx.name('mul'));
  return [g.op('Add', [y, g.floatConst(ctx.name('shift'), Float32Array.from(add), dims)], ctx.outName(0))];
};

export const batchNorm: LayerHandler = {
  type: 'BatchNorm',
  category: 'norm',
  docs: {
    notes: 'Statistics divided by the stored scale factor (0 gives 0), as a per-channel affine; folded into a Convolution it is in place on.',
    refused: {
      tfjs: [
        'use_global_stats: false: batch statistics at test time, which a converted model cannot reproduce',
      ],
      onnx: ['use_global_stats: false: batch statistics at test time, which a converted model cannot reproduce'],
    },
  },
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
  convert: { tfjs: convertBatchNorm, onnx: onnxBatchNorm },
  channelAffine: {
    leads: true,
    // Batch statistics (use_global_stats: false) are no fixed affine: converted alone, which refuses them.
    foldable: (layer) => layer.batch_norm_param?.use_global_stats !== false,
    affine(layer, blobs) {
      checkGlobalStats(layer);
      return batchNormAffine(layer, blobs);
    },
  },
  forward: forwardBatchNorm,
  randomInit: randomBatchNorm,
  calibrate: calibrateBatchNorm,
};
