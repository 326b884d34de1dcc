/** PReLU: ReLU with a learned negative slope per channel (axis 1) or one for all. */
import type { ConvertFn } from './convert-api';
import { channelShape } from './convert-util';
import { type LayerHandler, ONE, netError, noMacs } from './handler';

const convertPReLU: ConvertFn = (ctx) => {
  const rank = ctx.inputShapes[0].length;
  const a = ctx.blobs[0].data;
  const shape = ctx.layer.prelu_param?.channel_shared ? [1] : channelShape(a.length, rank);
  return [ctx.g.prelu(ctx.inputs[0], { data: a, shape }, { name: ctx.outName(0) })];
};

export const prelu: LayerHandler = {
  type: 'PReLU',
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
  convert: convertPReLU,
};
