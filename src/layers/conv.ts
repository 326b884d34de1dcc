/** Convolution and Deconvolution (geometry in conv-geometry.ts): shapes, Convolution's TF.js and ONNX conversions and reference kernel, their random init. */
import { UnsupportedLayerError } from '../errors';
import type { LayerParameter } from '../schema';
import type { TensorRef } from '../tfgraph';
import type { ConvertFn } from './convert-api';
import { convolve2d } from './conv-forward';
import { convGeometry } from './conv-geometry';
import { only1, unsupported } from './convert-util';
import { int, ints } from '../onnx';
import type { OnnxConvertFn } from './onnx-api';
import { onnxOnly1, unsupportedOnnx } from './onnx-util';
import { type LayerHandler, type Shape, ANY_FROM_1, countOf, netError, noMacs, requireSameShapes } from './handler';
import { type ForwardContext, type ForwardFn, type RandomInitFn, type Tensor, type Values, fillNormal, fillUniform } from './reference-api';

function convOutputShape(layer: LayerParameter, input: Shape, deconv: boolean): Shape {
  const g = convGeometry(layer, input);
  const spatial = g.kernel.map((k, i) => {
    const extent = g.dilation[i] * (k - 1) + 1;
    const x = input[g.channelAxis + 1 + i];
    const out = deconv ? g.stride[i] * (x - 1) + extent - 2 * g.pad[i] : Math.floor((x + 2 * g.pad[i] - extent) / g.stride[i]) + 1;
    if (out <= 0) {
      throw netError(layer, `output size ${out} along spatial axis ${i} is not positive (input ${x}, kernel extent ${extent}, pad ${g.pad[i]}, stride ${g.stride[i]})`);
    }
    return out;
  });
  return [...input.slice(0, g.channelAxis), g.numOutput, ...spatial];
}

function convBlobs(layer: LayerParameter, inputShapes: Shape[], deconv: boolean): Shape[] {
  const input = inputShapes[0];
  const g = convGeometry(layer, input);
  const channels = input[g.channelAxis];
  // Caffe stores weights as [out, in/group, k...] for Convolution and [in, out/group, k...] for Deconvolution.
  const weights = deconv ? [channels, g.numOutput / g.group, ...g.kernel] : [g.numOutput, channels / g.group, ...g.kernel];
  return g.biasTerm ? [weights, [g.numOutput]] : [weights];
}

function outputs(deconv: boolean) {
  return (layer: LayerParameter, inputShapes: Shape[]): Shape[] => {
    // Every bottom is convolved with the same filters, so they must agree in shape.
    const input = requireSameShapes(layer, inputShapes);
    const out = convOutputShape(layer, input, deconv);
    return inputShapes.map(() => out.slice());
  };
}

/**
 * Caffe [O, I/G, kh, kw] -> HWIO [kh, kw, I/G, O] into `out`, each output channel o times
 * `mul[o]` when given (BatchNorm folding, fused so the weights are touched once). Per kernel
 * position this is an O x I transpose, done in 16 x 16 tiles so both sides stay in cache (a
 * plain strided loop is ~20x slower on SENet-154). Not 32: with power-of-two widths (1024, 2048)
 * 32 rows of a tile fall into the same cache sets, which measured 2-3x slower.
 */
export function hwioInto(src: Float32Array, shape: readonly number[], out: Float32Array, mul?: Float64Array): void {
  const [O, I, kh, kw] = shape;
  const KK = kh * kw;
  const T = 16;
  for (let p = 0; p < KK; p++) {
    for (let o0 = 0; o0 < O; o0 += T) {
      const o1 = Math.min(O, o0 + T);
      for (let i0 = 0; i0 < I; i0 += T) {
        const i1 = Math.min(I, i0 + T);
        for (let o = o0; o < o1; o++) {
          const m = mul === undefined ? 1 : mul[o];
          let s = (o * I + i0) * KK + p;
          let d = (p * I + i0) * O + o;
          for (let i = i0; i < i1; i++, s += KK, d += O) out[d] = src[s] * m;
        }
      }
    }
  }
}

/**
 * A grouped convolution's Caffe weights [O, I/G, kh, kw] packed straight into the depthwise
 * filter [kh, kw, I, O/G] of GraphBuilder.groupedConv2dPacked (channel g*(I/G) + i, multiplier m
 * is W[g*(O/G) + m, i]), times `mul[o]` when given. One pass, no per-group copies.
 */
export function depthwisePackInto(src: Float32Array, shape: readonly number[], out: Float32Array, mul: Float64Array | undefined, groups: number): void {
  const [O, cg, kh, kw] = shape;
  const KK = kh * kw;
  const og = O / groups;
  const C = cg * groups;
  for (let o = 0; o < O; o++) {
    const m = mul === undefined ? 1 : mul[o];
    const g = Math.floor(o / og);
    const mm = o - g * og;
    let s = o * cg * KK;
    for (let i = 0; i < cg; i++) {
      const c = g * cg + i;
      for (let p = 0; p < KK; p++) out[(p * C + c) * og + mm] = src[s++] * m;
    }
  }
}

/**
 * Convolution with explicit symmetric padding. With a fold (the converter's BatchNorm/Scale
 * folding) the weights are multiplied per output channel by `fold.mul` and `fold.bias` replaces
 * the bias. With a bias, plain and depthwise convolutions are one fused op (bias and activation
 * inside: one kernel instead of three); grouped ones end in a reshape and sum, so they keep
 * BiasAdd and the activation as nodes.
 */
const convertConvolution: ConvertFn = (ctx) => {
  only1(ctx, 'Convolution');
  const { g, layer, fold } = ctx;
  const inShape = ctx.inputShapes[0];
  const geo = convGeometry(layer, inShape);
  if (inShape.length !== 4 || geo.channelAxis !== 1) throw unsupported(ctx, 'is supported for 4-axis (N,C,H,W) blobs with axis 1 only');
  const [sh, sw] = geo.stride;
  const [dh, dw] = geo.dilation;
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) throw unsupported(ctx, 'combines stride > 1 with dilation > 1, which TF.js cannot run');
  const [ph, pw] = geo.pad;
  const opts = { strides: [sh, sw] as [number, number], dilations: [dh, dw] as [number, number], pads: [ph, ph, pw, pw] as [number, number, number, number] };
  const b = fold !== undefined ? fold.bias : geo.biasTerm ? ctx.blobs[1].data : null;
  const cin = inShape[1];
  const G = geo.group;
  const O = geo.numOutput;
  const w = ctx.blobs[0];
  const [, wI, kh, kw] = w.shape;
  const packed = G > 1 && G < cin;
  const f = {
    data: ctx.rewriteBlob(0, (src, out) => (packed ? depthwisePackInto : hwioInto)(src, w.shape, out, fold?.mul, G)),
    shape: packed ? [kh, kw, cin, O / G] : [kh, kw, wI, O],
  };
  const x = ctx.inputs[0];
  const act = ctx.activation;
  const bias = b === null ? undefined : { data: b, shape: [b.length] };
  if (bias !== undefined && G === 1) return [g.fusedConv2d(x, f, bias, { ...opts, name: ctx.outName(0), activation: act })];
  if (bias !== undefined && G === cin && act?.op !== 'LeakyRelu') {
    // One input channel per group: depthwise with multiplier O/G; channel order c*M+m is Caffe's g*(O/G)+m.
    const dwf = { data: f.data, shape: [f.shape[0], f.shape[1], cin, O / G] };
    return [g.fusedDepthwiseConv2d(x, dwf, bias, { ...opts, name: ctx.outName(0), activation: act })];
  }
  // Unfused: the conv, then BiasAdd, then the activation; the last of them is the top.
  let y: TensorRef;
  const convName = bias === undefined && act === undefined ? ctx.outName(0) : ctx.name('conv');
  if (G === 1) {
    y = g.conv2d(x, f, { ...opts, name: convName });
  } else if (G === cin) {
    y = g.depthwiseConv2d(x, { data: f.data, shape: [f.shape[0], f.shape[1], cin, O / G] }, { ...opts, name: convName });
  } else {
    y = g.groupedConv2dPacked(x, f, { ...opts, groups: G, name: convName });
  }
  if (bias !== undefined) y = g.biasAdd(y, bias, { name: act === undefined ? ctx.outName(0) : ctx.name('bias') });
  if (act !== undefined) y = g.activation(y, act, { name: ctx.outName(0) });
  return [y];
};

/** One bottom's convolution (conv-forward.ts: float64 sums, bias first, then (ci, ky, kx) in order). */
function convolve(ctx: ForwardContext, x: Tensor<Values>): Tensor<Values> {
  const p = ctx.layer;
  const g = convGeometry(p, x.shape);
  if (g.channelAxis !== 1 || x.shape.length !== 4) throw new UnsupportedLayerError(p.name ?? '', 'Convolution', 'is supported here only on 4-D NCHW blobs');
  const out = ctx.alloc(ctx.outputShapes[0]);
  convolve2d(x.data, x.shape, ctx.blobs[0].data, g.biasTerm ? ctx.blobs[1].data : undefined, g, out.data, out.shape);
  return out;
}

const forwardConvolution: ForwardFn = (ctx) => ctx.bottoms.map((b) => convolve(ctx, b));

/**
 * Weights N(0, sqrt(2 / fan_in)), fan_in = the weight blob's count from axis 1; biases
 * U(-0.05, 0.05). Shared with Deconvolution and InnerProduct (fan_in given by them).
 */
export function heInit(fanIn: (weightShape: Shape) => number): RandomInitFn {
  return (ctx) => {
    const w = ctx.blobShapes[0];
    const out = [fillNormal(countOf(w), ctx.stream(0), Math.sqrt(2 / Math.max(1, fanIn(w))))];
    for (let i = 1; i < ctx.blobShapes.length; i++) out.push(fillUniform(countOf(ctx.blobShapes[i]), ctx.stream(i), -0.05, 0.05));
    return out;
  };
}

const randomConv = heInit((w) => countOf(w, 1));
/**
 * ONNX Conv in Caffe's own layout: the weights go in as stored ([O, I/G, k...]), times the folded
 * BatchNorm/Scale factor per output channel when there is one; groups and dilation are attributes.
 */
const onnxConvolution: OnnxConvertFn = (ctx) => {
  onnxOnly1(ctx, 'Convolution');
  const { g, layer, fold } = ctx;
  const inShape = ctx.inputShapes[0];
  const geo = convGeometry(layer, inShape);
  if (geo.channelAxis !== 1) throw unsupportedOnnx(ctx, 'is supported with axis 1 only');
  const O = geo.numOutput;
  const dims = [O, inShape[1] / geo.group, ...geo.kernel];
  const per = countOf(dims, 1);
  const mul = fold?.mul;
  const scaled = mul === undefined
    ? undefined
    : (src: Float32Array, out: Float32Array): void => {
        for (let o = 0; o < O; o++) for (let j = o * per, e = j + per; j < e; j++) out[j] = src[j] * mul[o];
      };
  const inputs = [ctx.inputs[0], g.floatConst(ctx.name('weights'), ctx.weight(0, scaled), dims)];
  if (fold !== undefined) inputs.push(g.floatConst(ctx.name('bias'), fold.bias, [O]));
  else if (geo.biasTerm) inputs.push(g.floatConst(ctx.name('bias'), ctx.weight(1), [O]));
  return [
    g.op('Conv', inputs, ctx.outName(0), {
      kernel_shape: ints(geo.kernel),
      strides: ints(geo.stride),
      pads: ints([...geo.pad, ...geo.pad]),
      dilations: ints(geo.dilation),
      group: int(geo.group),
    }),
  ];
};

export const convolution: LayerHandler = {
  type: 'Convolution',
  category: 'conv',
  absorbs: { channelAffine: true, activation: true },
  docs: {
    notes: 'Explicit symmetric padding, dilation and groups (depthwise, or grouped as one packed depthwise op); an in-place BatchNorm (and Scale) after it is folded into its weights and bias, an in-place ReLU fused (TF.js).',
    refused: {
      tfjs: [
        'more than one bottom or top: converted for one only',
        'blobs of other than 4 axes (N,C,H,W), or axis other than 1: TF.js convolutions are 2-D NHWC',
        'stride > 1 together with dilation > 1: TF.js cannot run it',
      ],
      onnx: [
        'more than one bottom or top: converted for one only',
        'axis other than 1: ONNX Conv takes the channels at axis 1',
      ],
    },
  },
  paramField: 'convolution_param',
  bottoms: ANY_FROM_1,
  tops: ANY_FROM_1,
  inPlaceOk: false,
  outputShapes: outputs(false),
  blobShapes: (layer, inputShapes) => convBlobs(layer, inputShapes, false),
  macs(layer, inputShapes, outputShapes) {
    const input = inputShapes[0];
    const g = convGeometry(layer, input);
    const out = outputShapes[0];
    // Per image: every output element takes (in_c/group) * prod(kernel) multiply-adds.
    const perImage = countOf(out, g.channelAxis) * (input[g.channelAxis] / g.group) * countOf(g.kernel);
    return perImage * inputShapes.length;
  },
  convert: { tfjs: convertConvolution, onnx: onnxConvolution },
  forward: forwardConvolution,
  randomInit: randomConv,
};

/** Deconvolution: shapes and blobs; its MACs are not counted (only Convolution and InnerProduct are). */
export const deconvolution: LayerHandler = {
  type: 'Deconvolution',
  category: 'conv',
  docs: {
    notes: 'Shapes and blobs only: no conversion written yet.',
  },
  paramField: 'convolution_param',
  bottoms: ANY_FROM_1,
  tops: ANY_FROM_1,
  inPlaceOk: false,
  outputShapes: outputs(true),
  blobShapes: (layer, inputShapes) => convBlobs(layer, inputShapes, true),
  macs: noMacs,
  randomInit: randomConv,
};
