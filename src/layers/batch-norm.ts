/** BatchNorm: normalises over every axis but 1; its blobs are statistics, not learned. */
import { type LayerHandler, ONE, noMacs, netError } from './handler';

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
};
