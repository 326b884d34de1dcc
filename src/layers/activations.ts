/**
 * Layers whose top has the bottom's shape and that learn nothing: the neuron layers, Dropout,
 * LRN and Softmax. One table, since they differ only in name, parameter field and checks.
 */
import type { LayerParameter } from '../schema';
import { type LayerHandler, type Shape, ONE, canonicalAxis, netError, noBlobs, noMacs } from './handler';

function sameShapeHandler(
  type: string,
  paramField: LayerHandler['paramField'],
  inPlaceOk: boolean,
  check?: (layer: LayerParameter, input: Shape) => void,
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
  };
}

export const relu = sameShapeHandler('ReLU', 'relu_param', true);
export const elu = sameShapeHandler('ELU', 'elu_param', true);
export const sigmoid = sameShapeHandler('Sigmoid', 'sigmoid_param', true);
export const tanh = sameShapeHandler('TanH', 'tanh_param', true);
export const power = sameShapeHandler('Power', 'power_param', true);
export const absVal = sameShapeHandler('AbsVal', undefined, true);
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
export const dropout = sameShapeHandler('Dropout', 'dropout_param', true, (layer) => {
  const ratio = layer.dropout_param?.dropout_ratio ?? 0.5;
  if (!(ratio >= 0 && ratio < 1)) throw netError(layer, `dropout_ratio must be in [0, 1), not ${ratio}`);
});
// LRN keeps scratch blobs that need the original input, so Caffe's LRN is not in-place safe.
export const lrn = sameShapeHandler('LRN', 'lrn_param', false, (layer, input) => {
  if (input.length !== 4) throw netError(layer, `input must have 4 axes (num, channels, height, width); got ${input.length}`);
  const size = layer.lrn_param?.local_size ?? 5;
  if (size % 2 !== 1) throw netError(layer, `local_size must be odd, not ${size}`);
});
export const softmax = sameShapeHandler('Softmax', 'softmax_param', true, (layer, input) => {
  canonicalAxis(layer, layer.softmax_param?.axis ?? 1, input.length);
});
