/**
 * Layers whose top has the bottom's shape and that learn nothing: the neuron layers, Dropout,
 * LRN and Softmax. One table, since they differ only in name, parameter field, checks,
 * conversion and reference kernel. Exp, Log, BNLL and Threshold have no conversion and no kernel.
 */
import { layerParam, type LayerParameter } from '../schema';
import type { FusedActivation, TensorRef } from '../tfgraph';
import type { ConvertFn } from './convert-api';
import type { LayerConverters } from './handler';
import { singleOp } from './convert-util';
import { float, int, ints } from '../onnx';
import type { OnnxConvertFn } from './onnx-api';
import { scalar, singleOnnxOp } from './onnx-util';
import { detExp, detTanh } from './det-math';
import { type LayerHandler, type Shape, ONE, canonicalAxis, countOf, netError, noBlobs, noMacs } from './handler';
import { type ForwardFn, mapValues } from './reference-api';

function sameShapeHandler(
  type: string,
  paramField: LayerHandler['paramField'],
  inPlaceOk: boolean,
  check?: (layer: LayerParameter, input: Shape) => void,
  convert?: LayerConverters,
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
  const slope = layerParam(layer, 'relu_param').negative_slope;
  return slope === 0 ? { op: 'Relu' } : { op: 'LeakyRelu', alpha: slope };
}

const convertReLU: ConvertFn = (ctx) => [ctx.g.activation(ctx.inputs[0], reluActivation(ctx.layer), { name: ctx.outName(0) })];

const convertELU: ConvertFn = (ctx) => {
  const { g } = ctx;
  const alpha = layerParam(ctx.layer, 'elu_param').alpha;
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
  const p = layerParam(ctx.layer, 'power_param');
  const power = p.power;
  const scale = p.scale;
  const shift = p.shift;
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
  const p = layerParam(ctx.layer, 'lrn_param');
  const n = p.local_size;
  const alpha = p.alpha;
  const beta = p.beta;
  const k = p.k;
  const x = ctx.inputs[0];
  const sq = g.square(x, { name: ctx.name('square') });
  const r = (n - 1) / 2;
  let scale: TensorRef;
  if (p.norm_region === 'ACROSS_CHANNELS') {
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
  const ax = layout.tfAxis(canonicalAxis(ctx.layer, layerParam(ctx.layer, 'softmax_param').axis, rank), rank);
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

/** An elementwise reference kernel from the layer's function of one value. */
function elementwise(f: (layer: LayerParameter) => (v: number) => number): ForwardFn {
  return (ctx) => [mapValues(ctx, ctx.bottoms[0], f(ctx.layer))];
}

const onnxReLU: OnnxConvertFn = (ctx) => {
  const slope = layerParam(ctx.layer, 'relu_param').negative_slope;
  if (slope === 0) return [ctx.g.op('Relu', [ctx.inputs[0]], ctx.outName(0))];
  return [ctx.g.op('LeakyRelu', [ctx.inputs[0]], ctx.outName(0), { alpha: float(slope) })];
};

/** ONNX Elu is Caffe's: x > 0 ? x : alpha * (exp(x) - 1). */
const onnxELU: OnnxConvertFn = (ctx) => [ctx.g.op('Elu', [ctx.inputs[0]], ctx.outName(0), { alpha: float(layerParam(ctx.layer, 'elu_param').alpha) })];

const onnxPower: OnnxConvertFn = (ctx) => {
  const { g } = ctx;
  const p = layerParam(ctx.layer, 'power_param');
  const power = p.power;
  const scale = p.scale;
  const shift = p.shift;
  const steps: Array<[string, string, number]> = [];
  if (scale !== 1) steps.push(['Mul', 'scale', scale]);
  if (shift !== 0) steps.push(['Add', 'shift', shift]);
  if (power !== 1) steps.push(['Pow', 'power', power]);
  if (steps.length === 0) return [g.op('Identity', [ctx.inputs[0]], ctx.outName(0))];
  let y = ctx.inputs[0];
  steps.forEach(([op, part, v], i) => (y = g.op(op, [y, scalar(ctx, part, v)], i === steps.length - 1 ? ctx.outName(0) : ctx.name(`step${i}`))));
  return [y];
};

/**
 * ONNX LRN is Caffe's ACROSS_CHANNELS (bias = k, alpha over the window size). WITHIN_CHANNEL:
 * x / (1 + alpha * mean of x^2 over an n x n zero-padded window)^beta, the mean an AveragePool
 * with the padding counted (every window lies inside the padded input, so the divisor is n*n).
 */
const onnxLRN: OnnxConvertFn = (ctx) => {
  const { g } = ctx;
  const p = layerParam(ctx.layer, 'lrn_param');
  const n = p.local_size;
  const alpha = p.alpha;
  const beta = p.beta;
  const x = ctx.inputs[0];
  if (p.norm_region === 'ACROSS_CHANNELS') {
    return [g.op('LRN', [x], ctx.outName(0), { size: int(n), alpha: float(alpha), beta: float(beta), bias: float(p.k) })];
  }
  const r = (n - 1) / 2;
  const sq = g.op('Mul', [x, x], ctx.name('square'));
  const avg = g.op('AveragePool', [sq], ctx.name('window'), { kernel_shape: ints([n, n]), pads: ints([r, r, r, r]), count_include_pad: int(1) });
  const s = g.op('Mul', [avg, scalar(ctx, 'alpha', alpha)], ctx.name('scaled'));
  const base = g.op('Add', [s, scalar(ctx, 'one', 1)], ctx.name('scale'));
  const pw = g.op('Pow', [base, scalar(ctx, 'neg_beta', -beta)], ctx.name('pow'));
  return [g.op('Mul', [x, pw], ctx.outName(0))];
};

const onnxSoftmax: OnnxConvertFn = (ctx) => {
  const rank = ctx.inputShapes[0].length;
  const axis = canonicalAxis(ctx.layer, layerParam(ctx.layer, 'softmax_param').axis, rank);
  return [ctx.g.op('Softmax', [ctx.inputs[0]], ctx.outName(0), { axis: int(axis) })];
};

const forwardSoftmax: ForwardFn = (ctx) => {
  const x = ctx.bottoms[0];
  const axis = canonicalAxis(ctx.layer, layerParam(ctx.layer, 'softmax_param').axis, x.shape.length);
  const outer = countOf(x.shape, 0, axis);
  const dim = x.shape[axis];
  const inner = countOf(x.shape, axis + 1);
  const out = ctx.alloc(x.shape);
  const e = new Float64Array(dim);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (d: number): number => (o * dim + d) * inner + i;
      let mx = -Infinity;
      for (let d = 0; d < dim; d++) mx = Math.max(mx, x.data[at(d)]);
      let s = 0;
      for (let d = 0; d < dim; d++) {
        e[d] = detExp(x.data[at(d)] - mx);
        s += e[d];
      }
      for (let d = 0; d < dim; d++) out.data[at(d)] = e[d] / s;
    }
  }
  return [out];
};

const forwardLRN: ForwardFn = (ctx) => {
  const lp = layerParam(ctx.layer, 'lrn_param');
  const size = lp.local_size;
  const alpha = lp.alpha;
  const beta = lp.beta;
  const k = lp.k;
  const x = ctx.bottoms[0];
  const [N, C, H, W] = x.shape;
  const hw = H * W;
  const pre = (size - 1) / 2;
  const out = ctx.alloc(x.shape);
  if (lp.norm_region === 'ACROSS_CHANNELS') {
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < hw; i++) {
          let s = 0;
          for (let j = Math.max(0, c - pre); j <= Math.min(C - 1, c + pre); j++) {
            const v = x.data[(n * C + j) * hw + i];
            s += v * v;
          }
          const scale = k + (alpha / size) * s;
          out.data[(n * C + c) * hw + i] = x.data[(n * C + c) * hw + i] * Math.pow(scale, -beta);
        }
      }
    }
    return [out];
  }
  // WITHIN_CHANNEL: Caffe builds it from AVE pooling of x^2 (pad (size-1)/2, stride 1, so every
  // window counts size^2 cells, zeros outside) and Power(shift 1, scale alpha); k is not used.
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * hw;
    for (let y = 0; y < H; y++) {
      for (let xx = 0; xx < W; xx++) {
        let s = 0;
        for (let u = Math.max(0, y - pre); u <= Math.min(H - 1, y + pre); u++) {
          for (let v = Math.max(0, xx - pre); v <= Math.min(W - 1, xx + pre); v++) {
            const e = x.data[base + u * W + v];
            s += e * e;
          }
        }
        const scale = 1 + (alpha * s) / (size * size);
        out.data[base + y * W + xx] = x.data[base + y * W + xx] * Math.pow(scale, -beta);
      }
    }
  }
  return [out];
};

const forwardPower = elementwise((layer) => {
  const pp = layerParam(layer, 'power_param');
  const power = pp.power;
  const scale = pp.scale;
  const shift = pp.shift;
  return (v) => {
    const b = shift + scale * v;
    return power === 1 ? b : power === 2 ? b * b : Math.pow(b, power);
  };
});

export const relu: LayerHandler = {
  ...sameShapeHandler('ReLU', 'relu_param', true, undefined, { tfjs: convertReLU, onnx: onnxReLU }),
  forward: elementwise((layer) => {
    const s = layerParam(layer, 'relu_param').negative_slope;
    return (v) => (v > 0 ? v : v * s);
  }),
  category: 'act',
  fusedActivation: reluActivation,
  docs: { notes: 'Relu, or LeakyRelu with negative_slope; fused into the Convolution or InnerProduct it is in place on.' },
};
export const elu: LayerHandler = {
  ...sameShapeHandler('ELU', 'elu_param', true, undefined, { tfjs: convertELU, onnx: onnxELU }),
  forward: elementwise((layer) => {
    const alpha = layerParam(layer, 'elu_param').alpha;
    return (v) => (v > 0 ? v : alpha * (detExp(v) - 1));
  }),
  category: 'act',
  docs: { notes: 'Elu for alpha 1, else composed of plain ops.' },
};
export const sigmoid: LayerHandler = {
  ...sameShapeHandler('Sigmoid', 'sigmoid_param', true, undefined, { tfjs: singleOp((ctx, x, o) => ctx.g.sigmoid(x, o)), onnx: singleOnnxOp('Sigmoid') }),
  forward: elementwise(() => (v) => 1 / (1 + detExp(-v))),
  category: 'gate',
  docs: { notes: 'Sigmoid (the SE gate).' },
};
export const tanh: LayerHandler = {
  ...sameShapeHandler('TanH', 'tanh_param', true, undefined, { tfjs: singleOp((ctx, x, o) => ctx.g.tanh(x, o)), onnx: singleOnnxOp('Tanh') }),
  forward: elementwise(() => detTanh),
  category: 'act',
  docs: { notes: 'Tanh.' },
};
export const power: LayerHandler = {
  ...sameShapeHandler('Power', 'power_param', true, undefined, { tfjs: convertPower, onnx: onnxPower }),
  forward: forwardPower,
  category: 'act',
  docs: { notes: '(shift + scale * x) ^ power, identity steps skipped.' },
};
export const absVal: LayerHandler = {
  ...sameShapeHandler('AbsVal', undefined, true, undefined, { tfjs: singleOp((ctx, x, o) => ctx.g.abs(x, o)), onnx: singleOnnxOp('Abs') }),
  forward: elementwise(() => Math.abs),
  category: 'act',
  docs: { notes: 'Abs.' },
};
export const exp: LayerHandler = {
  ...sameShapeHandler('Exp', 'exp_param', true, (layer) => {
    const base = layerParam(layer, 'exp_param').base;
    if (base !== -1 && base <= 0) throw netError(layer, `base must be positive or -1 (e), not ${base}`);
  }),
  docs: { notes: 'Shapes only: no conversion written yet.' },
};
export const log: LayerHandler = {
  ...sameShapeHandler('Log', 'log_param', true, (layer) => {
    const base = layerParam(layer, 'log_param').base;
    if (base !== -1 && base <= 0) throw netError(layer, `base must be positive or -1 (e), not ${base}`);
  }),
  docs: { notes: 'Shapes only: no conversion written yet.' },
};
export const bnll: LayerHandler = { ...sameShapeHandler('BNLL', undefined, true), category: 'act', docs: { notes: 'Shapes only: no conversion written yet.' } };
export const threshold: LayerHandler = { ...sameShapeHandler('Threshold', 'threshold_param', true), docs: { notes: 'Shapes only: no conversion written yet.' } };
// TEST-phase Dropout is the identity (Caffe scales at training time).
export const dropout: LayerHandler = {
  ...sameShapeHandler('Dropout', 'dropout_param', true, (layer) => {
    const ratio = layerParam(layer, 'dropout_param').dropout_ratio;
    if (!(ratio >= 0 && ratio < 1)) throw netError(layer, `dropout_ratio must be in [0, 1), not ${ratio}`);
  }, { tfjs: singleOp((ctx, x, o) => ctx.g.identity(x, o)), onnx: singleOnnxOp('Identity') }),
  forward: elementwise(() => (v) => v),
  docs: { notes: 'The identity at test time (Caffe scales while training).' },
};
// LRN keeps scratch blobs that need the original input, so Caffe's LRN is not in-place safe.
export const lrn: LayerHandler = {
  ...sameShapeHandler('LRN', 'lrn_param', false, (layer, input) => {
    if (input.length !== 4) throw netError(layer, `input must have 4 axes (num, channels, height, width); got ${input.length}`);
    const size = layerParam(layer, 'lrn_param').local_size;
    if (size % 2 !== 1) throw netError(layer, `local_size must be odd, not ${size}`);
  }, { tfjs: convertLRN, onnx: onnxLRN }),
  forward: forwardLRN,
  category: 'norm',
  docs: { notes: "ACROSS_CHANNELS and WITHIN_CHANNEL, with Caffe's alpha / size scaling." },
};
export const softmax: LayerHandler = {
  ...sameShapeHandler('Softmax', 'softmax_param', true, (layer, input) => {
    canonicalAxis(layer, layerParam(layer, 'softmax_param').axis, input.length);
  }, { tfjs: convertSoftmax, onnx: onnxSoftmax }),
  forward: forwardSoftmax,
  category: 'out',
  docs: { notes: 'Any axis.' },
};
