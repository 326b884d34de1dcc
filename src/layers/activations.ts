/**
 * Layers whose top has the bottom's shape and that learn nothing: the neuron layers, Dropout,
 * LRN and Softmax. One table, since they differ only in name, parameter field, checks and
 * conversion. Exp, Log, BNLL and Threshold have no conversion.
 */
import type { LayerParameter } from '../schema';
import type { FusedActivation, TensorRef } from '../tfgraph';
import type { ConvertFn } from './convert-api';
import { singleOp } from './convert-util';
import { type LayerHandler, type Shape, ONE, canonicalAxis, netError, noBlobs, noMacs } from './handler';

function sameShapeHandler(
  type: string,
  paramField: LayerHandler['paramField'],
  inPlaceOk: boolean,
  check?: (layer: LayerParameter, input: Shape) => void,
  convert?: ConvertFn,
): LayerHandler {
  return {
    type,
    paramField,
    bottoms: ONE,
    tops: ONE,
    inPlaceOk,
    outputShapes(layer, [input]) {
      check?.(layer, input);
      return [input.slice()];
    },
    blobShapes: noBlobs,
    macs: noMacs,
    ...(convert !== undefined ? { convert } : {}),
  };
}

/** A ReLU layer's function as a TF activation: Relu, or LeakyRelu with Caffe's negative_slope. */
export function reluActivation(layer: LayerParameter): FusedActivation {
  const slope = layer.relu_param?.negative_slope ?? 0;
  return slope === 0 ? { op: 'Relu' } : { op: 'LeakyRelu', alpha: slope };
}

/**
 * The activation of a layer the converter may fuse into the Convolution or InnerProduct before
 * it (see ConvertContext.activation), else undefined. Only ReLU so far.
 */
export function fusableActivation(layer: LayerParameter): FusedActivation | undefined {
  return layer.type === 'ReLU' ? reluActivation(layer) : undefined;
}

const convertReLU: ConvertFn = (ctx) => [ctx.g.activation(ctx.inputs[0], reluActivation(ctx.layer), { name: ctx.outName(0) })];

const convertELU: ConvertFn = (ctx) => {
  const { g } = ctx;
  const alpha = ctx.layer.elu_param?.alpha ?? 1;
  const x = ctx.inputs[0];
  if (alpha === 1) return [g.elu(x, { name: ctx.outName(0) })];
  // max(x, 0) + alpha * (exp(min(x, 0)) - 1)
  const zero = g.scalar(ctx.name('zero'), 0);
  const pos = g.relu(x, { name: ctx.name('pos') });
  const e = g.exp(g.minimum(x, zero, { name: ctx.name('neg') }), { name: ctx.name('exp') });
  const em1 = g.sub(e, g.scalar(ctx.name('one'), 1), { name: ctx.name('expm1') });
  const neg = g.mul(em1, g.scalar(ctx.name('alpha'), alpha), { name: ctx.name('scaled') });
  return [g.add(pos, neg, { name: ctx.outName(0) })];
};

/** (shift + scale * x) ^ power, skipping the steps that are identities. */
const convertPower: ConvertFn = (ctx) => {
  const { g } = ctx;
  const p = ctx.layer.power_param ?? {};
  const power = p.power ?? 1;
  const scale = p.scale ?? 1;
  const shift = p.shift ?? 0;
  let y = ctx.inputs[0];
  const steps: Array<(t: TensorRef, name: string) => TensorRef> = [];
  if (scale !== 1) steps.push((t, name) => g.mul(t, g.scalar(ctx.name('scale'), scale), { name }));
  if (shift !== 0) steps.push((t, name) => g.add(t, g.scalar(ctx.name('shift'), shift), { name }));
  if (power !== 1) steps.push((t, name) => g.pow(t, g.scalar(ctx.name('power'), power), { name }));
  if (steps.length === 0) return [g.identity(y, { name: ctx.outName(0) })];
  steps.forEach((f, i) => (y = f(y, i === steps.length - 1 ? ctx.outName(0) : ctx.name(`step${i}`))));
  return [y];
};

/**
 * LRN. ACROSS_CHANNELS: x / (k + alpha/n * sum of x^2 over n channels)^beta, the window sum as a
 * 1x1 convolution with a band matrix (exact; TF's LRN uses alpha per element and a radius).
 * WITHIN_CHANNEL: x / (1 + alpha * mean of x^2 over an n x n zero-padded window)^beta.
 */
const convertLRN: ConvertFn = (ctx) => {
  const { g } = ctx;
  const p = ctx.layer.lrn_param ?? {};
  const n = p.local_size ?? 5;
  const alpha = p.alpha ?? 1;
  const beta = p.beta ?? 0.75;
  const k = p.k ?? 1;
  const x = ctx.inputs[0];
  const sq = g.square(x, { name: ctx.name('square') });
  const r = (n - 1) / 2;
  let scale: TensorRef;
  if ((p.norm_region ?? 'ACROSS_CHANNELS') === 'ACROSS_CHANNELS') {
    const C = ctx.inputShapes[0][1];
    const band = new Float32Array(C * C);
    for (let i = 0; i < C; i++) for (let j = Math.max(0, i - r); j <= Math.min(C - 1, i + r); j++) band[i * C + j] = alpha / n;
    const s = g.conv2d(sq, { data: band, shape: [1, 1, C, C] }, { name: ctx.name('window') });
    scale = g.add(s, g.scalar(ctx.name('k'), k), { name: ctx.name('scale') });
  } else {
    const avg = g.avgPool(sq, { kernel: [n, n], pads: [r, r, r, r], name: ctx.name('window') });
    const s = g.mul(avg, g.scalar(ctx.name('alpha'), alpha), { name: ctx.name('scaled') });
    scale = g.add(s, g.scalar(ctx.name('one'), 1), { name: ctx.name('scale') });
  }
  const pw = g.pow(scale, g.scalar(ctx.name('neg_beta'), -beta), { name: ctx.name('pow') });
  return [g.mul(x, pw, { name: ctx.outName(0) })];
};

/** Softmax over the graph axis of Caffe's axis, moved last and back when it is not last already. */
const convertSoftmax: ConvertFn = (ctx) => {
  const { g, layout } = ctx;
  const rank = ctx.inputShapes[0].length;
  const a0 = ctx.layer.softmax_param?.axis ?? 1;
  const ax = layout.tfAxis(a0 < 0 ? a0 + rank : a0, rank);
  const x = ctx.inputs[0];
  if (ax === rank - 1) return [g.softmax(x, { name: ctx.outName(0) })];
  const perm = [...Array(rank).keys()];
  perm[ax] = rank - 1;
  perm[rank - 1] = ax;
  const t = layout.transposeOrReshape(x, perm, ctx.name('to_last'));
  const s = g.softmax(t, { name: ctx.name('softmax') });
  const y = layout.transposeOrReshape(s, perm, ctx.outName(0));
  return [y === s ? g.identity(s, { name: ctx.outName(0) }) : y];
};

export const relu = sameShapeHandler('ReLU', 'relu_param', true, undefined, convertReLU);
export const elu = sameShapeHandler('ELU', 'elu_param', true, undefined, convertELU);
export const sigmoid = sameShapeHandler('Sigmoid', 'sigmoid_param', true, undefined, singleOp((ctx, x, o) => ctx.g.sigmoid(x, o)));
export const tanh = sameShapeHandler('TanH', 'tanh_param', true, undefined, singleOp((ctx, x, o) => ctx.g.tanh(x, o)));
export const power = sameShapeHandler('Power', 'power_param', true, undefined, convertPower);
export const absVal = sameShapeHandler('AbsVal', undefined, true, undefined, singleOp((ctx, x, o) => ctx.g.abs(x, o)));
export const exp = sameShapeHandler('Exp', 'exp_param', true, (layer) => {
  const base = layer.exp_param?.base ?? -1;
  if (base !== -1 && base <= 0) throw netError(layer, `base must be positive or -1 (e), not ${base}`);
});
export const log = sameShapeHandler('Log', 'log_param', true, (layer) => {
  const base = layer.log_param?.base ?? -1;
  if (base !== -1 && base <= 0) throw netError(layer, `base must be positive or -1 (e), not ${base}`);
});
export const bnll = sameShapeHandler('BNLL', undefined, true);
export const threshold = sameShapeHandler('Threshold', 'threshold_param', true);
// TEST-phase Dropout is the identity (Caffe scales at training time).
export const dropout = sameShapeHandler('Dropout', 'dropout_param', true, (layer) => {
  const ratio = layer.dropout_param?.dropout_ratio ?? 0.5;
  if (!(ratio >= 0 && ratio < 1)) throw netError(layer, `dropout_ratio must be in [0, 1), not ${ratio}`);
}, singleOp((ctx, x, o) => ctx.g.identity(x, o)));
// LRN keeps scratch blobs that need the original input, so Caffe's LRN is not in-place safe.
export const lrn = sameShapeHandler('LRN', 'lrn_param', false, (layer, input) => {
  if (input.length !== 4) throw netError(layer, `input must have 4 axes (num, channels, height, width); got ${input.length}`);
  const size = layer.lrn_param?.local_size ?? 5;
  if (size % 2 !== 1) throw netError(layer, `local_size must be odd, not ${size}`);
}, convertLRN);
export const softmax = sameShapeHandler('Softmax', 'softmax_param', true, (layer, input) => {
  canonicalAxis(layer, layer.softmax_param?.axis ?? 1, input.length);
}, convertSoftmax);
