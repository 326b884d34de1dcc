/**
 * Input and the data layers.
 *
 * Input (and the net-level legacy inputs) state their shapes. The data layers read theirs from
 * data we do not open, so they give what their parameters determine (batch size, crop or resize
 * size, ImageData's colour flag, all of MemoryData and DummyData) and mark every other dimension
 * as unknown (-1). inferShapes replaces a top's shape with `inputShapes[top]` when given and
 * refuses to feed an unknown dimension to a later layer.
 */
import { layerParam, type BlobShape, type LayerParameter } from '../schema';
import { type LayerHandler, type Shape, ANY_FROM_1, NONE, netError, noBlobs, noMacs } from './handler';

export const UNKNOWN = -1;

function blobShape(s: BlobShape): Shape {
  return (s.dim ?? []).map((d) => Number(d));
}

/** One shape for every top, or one per top. */
function perTop<T>(layer: LayerParameter, items: T[], what: string): T[] {
  const tops = layer.top?.length ?? 0;
  if (items.length === 1) return new Array<T>(tops).fill(items[0]);
  if (items.length !== tops) throw netError(layer, `needs one ${what} for all tops or one per top: ${items.length} for ${tops} tops`);
  return items;
}

export const input: LayerHandler = {
  type: 'Input',
  role: 'input',
  category: 'data',
  docs: {
    notes: 'The model input; callers give NCHW (TF.js transposes to NHWC inside).',
  },
  paramField: 'input_param',
  bottoms: NONE,
  tops: ANY_FROM_1,
  inPlaceOk: false,
  outputShapes(layer) {
    const shapes = layer.input_param?.shape ?? [];
    if (shapes.length === 0) throw netError(layer, 'input_param.shape is required');
    return perTop(layer, shapes, 'shape').map(blobShape);
  },
  blobShapes: noBlobs,
  macs: noMacs,
};

/** Crop wins over the resize, which wins over the stored size (unknown). */
function imageSize(crop: number, h: number, w: number): [number, number] {
  if (crop > 0) return [crop, crop];
  return [h > 0 ? h : UNKNOWN, w > 0 ? w : UNKNOWN];
}

/** The image top plus an optional label top of shape [batch]. */
function withLabel(layer: LayerParameter, image: Shape): Shape[] {
  const tops = layer.top?.length ?? 1;
  return tops === 2 ? [image, [image[0]]] : [image];
}

function batchOf(layer: LayerParameter, b: number | undefined): number {
  if (b === undefined || b <= 0) throw netError(layer, 'batch_size must be set and positive');
  return b;
}

export const data: LayerHandler = {
  type: 'Data',
  role: 'data',
  category: 'data',
  docs: {
    notes: 'Replaced by the graph input in TEST (give --input-shape); its transform_param mean, scale and crop are recorded as preprocessing.',
  },
  paramField: 'data_param',
  bottoms: NONE,
  tops: { min: 1, max: 2 },
  inPlaceOk: false,
  outputShapes(layer) {
    const p = layerParam(layer, 'data_param');
    // data_param.crop_size is the deprecated place of transform_param.crop_size.
    const crop = layer.transform_param?.crop_size ?? p.crop_size;
    const [h, w] = imageSize(crop, 0, 0);
    return withLabel(layer, [batchOf(layer, p.batch_size), UNKNOWN, h, w]);
  },
  blobShapes: noBlobs,
  macs: noMacs,
};

export const imageData: LayerHandler = {
  type: 'ImageData',
  role: 'data',
  category: 'data',
  docs: {
    notes: 'Replaced by the graph input in TEST (give --input-shape); its transform_param mean, scale and crop are recorded as preprocessing.',
  },
  paramField: 'image_data_param',
  bottoms: NONE,
  tops: { min: 1, max: 2 },
  inPlaceOk: false,
  outputShapes(layer) {
    const p = layerParam(layer, 'image_data_param');
    const crop = layer.transform_param?.crop_size ?? p.crop_size;
    const [h, w] = imageSize(crop, p.new_height, p.new_width);
    const channels = p.is_color ? 3 : 1;
    return withLabel(layer, [batchOf(layer, p.batch_size), channels, h, w]);
  },
  blobShapes: noBlobs,
  macs: noMacs,
};

export const memoryData: LayerHandler = {
  type: 'MemoryData',
  role: 'data',
  category: 'data',
  docs: {
    notes: 'Replaced by the graph input in TEST (give --input-shape); its transform_param mean, scale and crop are recorded as preprocessing.',
  },
  paramField: 'memory_data_param',
  bottoms: NONE,
  tops: { min: 1, max: 2 },
  inPlaceOk: false,
  outputShapes(layer) {
    const p = layerParam(layer, 'memory_data_param');
    const image = [batchOf(layer, p.batch_size), p.channels ?? 0, p.height ?? 0, p.width ?? 0];
    if (image.some((d) => d <= 0)) throw netError(layer, 'batch_size, channels, height and width must all be positive');
    // MemoryData's label top is N x 1 x 1 x 1.
    return (layer.top?.length ?? 1) === 2 ? [image, [image[0], 1, 1, 1]] : [image];
  },
  blobShapes: noBlobs,
  macs: noMacs,
};

export const hdf5Data: LayerHandler = {
  type: 'HDF5Data',
  role: 'data',
  category: 'data',
  docs: {
    notes: 'Replaced by the graph input in TEST (give --input-shape); its transform_param mean, scale and crop are recorded as preprocessing.',
  },
  paramField: 'hdf5_data_param',
  bottoms: NONE,
  tops: ANY_FROM_1,
  inPlaceOk: false,
  outputShapes(layer) {
    // Each top is one HDF5 dataset of unknown rank; only the batch axis is known.
    const b = batchOf(layer, layer.hdf5_data_param?.batch_size);
    return (layer.top ?? []).map(() => [b, UNKNOWN]);
  },
  blobShapes: noBlobs,
  macs: noMacs,
};

export const dummyData: LayerHandler = {
  type: 'DummyData',
  role: 'data',
  category: 'data',
  docs: {
    notes: 'Replaced by the graph input in TEST (give --input-shape); its transform_param mean, scale and crop are recorded as preprocessing.',
  },
  paramField: 'dummy_data_param',
  bottoms: NONE,
  tops: ANY_FROM_1,
  inPlaceOk: false,
  outputShapes(layer) {
    const p = layerParam(layer, 'dummy_data_param');
    const shapes = p.shape ?? [];
    const legacy = [p.num ?? [], p.channels ?? [], p.height ?? [], p.width ?? []];
    if (shapes.length > 0) {
      if (legacy.some((l) => l.length > 0)) throw netError(layer, 'give either shape or num/channels/height/width, not both');
      return perTop(layer, shapes, 'shape').map(blobShape);
    }
    const cols = legacy.map((l, i) => perTop(layer, l, ['num', 'channels', 'height', 'width'][i]));
    return (layer.top ?? []).map((_t, j) => cols.map((c) => c[j]));
  },
  blobShapes: noBlobs,
  macs: noMacs,
};
