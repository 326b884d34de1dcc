/** The table of layer handlers, keyed by Caffe type string. */
import { UnsupportedLayerError } from '../errors';
import type { LayerParameter } from '../schema';
import * as act from './activations';
import { axpy } from './axpy';
import { batchNorm } from './batch-norm';
import { concat, slice, split } from './concat-slice';
import { convolution, deconvolution } from './conv';
import { data, dummyData, hdf5Data, imageData, input, memoryData } from './data';
import { eltwise } from './eltwise';
import type { LayerHandler } from './handler';
import { innerProduct } from './inner-product';
import { accuracy, argMax, silence, softmaxWithLoss } from './losses';
import { pooling } from './pooling';
import { prelu } from './prelu';
import { flatten, reshape } from './reshape';
import { bias, scale } from './scale-bias';

const ALL: readonly LayerHandler[] = [
  input, data, imageData, hdf5Data, memoryData, dummyData,
  convolution, deconvolution, pooling, innerProduct,
  batchNorm, scale, bias, prelu,
  eltwise, axpy, concat, slice, split, reshape, flatten,
  act.relu, act.elu, act.sigmoid, act.tanh, act.power, act.absVal, act.exp, act.log, act.bnll,
  act.threshold, act.dropout, act.lrn, act.softmax,
  softmaxWithLoss, accuracy, argMax, silence,
];

export const layerHandlers: ReadonlyMap<string, LayerHandler> = new Map(ALL.map((h) => [h.type, h]));

/** The handler for a layer's type; UnsupportedLayerError (naming layer and type) if there is none. */
export function handlerFor(layer: LayerParameter): LayerHandler {
  const type = layer.type ?? '';
  const h = layerHandlers.get(type);
  if (h === undefined) {
    throw new UnsupportedLayerError(layer.name ?? '(unnamed)', type, type === '' ? 'has no type' : 'is not a supported layer type');
  }
  return h;
}

