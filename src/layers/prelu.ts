/** PReLU: ReLU with a learned negative slope per channel (axis 1) or one for all. */
import { layerParam } from '../schema';
import type { ConvertFn } from './convert-api';
import { channelShape } from './convert-util';
import { type LayerHandler, ONE, countOf, netError, noMacs } from './handler';
import type { ForwardFn, RandomInitFn } from './reference-api';
import type { OnnxConvertFn } from './onnx-api';
import { operandDims } from './onnx-util';

const convertPReLU: ConvertFn = (ctx) => {
  const rank = ctx.inputShapes[0].length;
  const a = ctx.blobs[0].data;
  const shape = ctx.layer.prelu_param?.channel_shared ? [1] : channelShape(a.length, rank);
  return [ctx.g.prelu(ctx.inputs[0], { data: a, shape }, { name: ctx.outName(0) })];
};

const forwardPReLU: ForwardFn = (ctx) => {
  const x = ctx.bottoms[0];
  const slopes = ctx.blobs[0].data;
  const shared = layerParam(ctx.layer, 'prelu_param').channel_shared;
  const c = x.shape.length > 1 ? x.shape[1] : 1;
  const inner = countOf(x.shape, 2);
  const out = ctx.alloc(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const s = shared ? slopes[0] : slopes[Math.floor(i / inner) % c];
    const v = x.data[i];
    out.data[i] = v > 0 ? v : v * s;
  }
  return [out];
};

/** Slopes 0.25, Caffe's default filler. */
const randomPReLU: RandomInitFn = (ctx) => ctx.blobShapes.map((s) => new Float32Array(countOf(s)).fill(0.25));

const onnxPReLU: OnnxConvertFn = (ctx) => {
  const rank = ctx.inputShapes[0].length;
  const c = ctx.blobs[0].data.length;
  const dims = ctx.layer.prelu_param?.channel_shared ? [1] : operandDims([c], 1, rank);
  return [ctx.g.op('PRelu', [ctx.inputs[0], ctx.g.floatConst(ctx.name('slope'), ctx.weight(0), dims)], ctx.outName(0))];
};

export const prelu: LayerHandler = {
  type: 'PReLU',
  category: 'act',
  docs: {
    notes: 'Per channel or channel_shared.',
  },
  paramField: 'prelu_param',
  bottoms: ONE,
  tops: ONE,
  inPlaceOk: true,
  outputShapes(layer, [input]) {
    if (input.length < 2) throw netError(layer, `input must have at least 2 axes; got ${input.length}`);
    return [input.slice()];
  },
  blobShapes(layer, [input]) {
    if (input.length < 2) throw netError(layer, `input must have at least 2 axes; got ${input.length}`);
    // A shared slope is a 0-axis blob (one element), exactly as Caffe creates and stores it.
    return [layer.prelu_param?.channel_shared ? [] : [input[1]]];
  },
  macs: noMacs,
  convert: { tfjs: convertPReLU, onnx: onnxPReLU },
  forward: forwardPReLU,
  randomInit: randomPReLU,
};
