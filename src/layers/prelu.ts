/** PReLU: ReLU with a learned negative slope per channel (axis 1) or one for all. */
import { type LayerHandler, ONE, netError, noMacs } from './handler';

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
};
