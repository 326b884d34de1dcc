import type { LayerParameter, NetParameter } from '../../src/schema';
import { handlerFor } from '../../src/layers';
import type { Shape } from '../../src/layers';

/** Output shapes of one layer through its handler. */
export function out(layer: LayerParameter, ...inputs: Shape[]): Shape[] {
  return handlerFor(layer).outputShapes(layer, inputs);
}

export function blobs(layer: LayerParameter, ...inputs: Shape[]): Shape[] {
  return handlerFor(layer).blobShapes(layer, inputs);
}

export function inputLayer(name: string, shape: number[]): LayerParameter {
  return { name, type: 'Input', top: [name], input_param: { shape: [{ dim: shape }] } };
}

export function net(...layer: LayerParameter[]): NetParameter {
  return { name: 't', layer };
}
