/** Types shared by the caffemodel reader, writer and weight matcher. */
import type { NetParameter } from '../schema';

export type { NetParameter };

/** One stored blob. */
export interface BlobData {
  /** Dimensions; [] is a scalar (count 1), as in Caffe. */
  shape: number[];
  /** The shape came from the deprecated num/channels/height/width fields (always 4 axes). */
  legacy: boolean;
  /** The values, row-major. Usually a view over the file's buffer: copy before mutating shared data. */
  data: Float32Array;
}

/** The blobs of one layer, with the layer's name and its (V2-style) type. */
export interface LayerWeights {
  name: string;
  /** V2 type string ("Convolution"); V1 enum and V0 strings are mapped to their V2 names. */
  type: string;
  blobs: BlobData[];
}

/** 'V2': NetParameter.layer; 'V1': NetParameter.layers (enum types); 'V0': V1 layers wrapping V0 ones. */
export type CaffemodelFormat = 'V2' | 'V1' | 'V0';

export interface Caffemodel {
  format: CaffemodelFormat;
  /** Every field of the file except blobs (`layer` for V2, `layers` for V1/V0 -- without `blobs`). */
  net: NetParameter;
  /** Every layer of the file, in file order (layers without blobs included). */
  layers: LayerWeights[];
}

// Caffe's V1 enum -> V2 type string, as upgrade_proto.cpp's UpgradeV1LayerType maps them.
const V1_TO_V2: Record<string, string> = {
  NONE: '',
  ABSVAL: 'AbsVal',
  ACCURACY: 'Accuracy',
  ARGMAX: 'ArgMax',
  BNLL: 'BNLL',
  CONCAT: 'Concat',
  CONTRASTIVE_LOSS: 'ContrastiveLoss',
  CONVOLUTION: 'Convolution',
  DECONVOLUTION: 'Deconvolution',
  DATA: 'Data',
  DROPOUT: 'Dropout',
  DUMMY_DATA: 'DummyData',
  EUCLIDEAN_LOSS: 'EuclideanLoss',
  ELTWISE: 'Eltwise',
  EXP: 'Exp',
  FLATTEN: 'Flatten',
  HDF5_DATA: 'HDF5Data',
  HDF5_OUTPUT: 'HDF5Output',
  HINGE_LOSS: 'HingeLoss',
  IM2COL: 'Im2col',
  IMAGE_DATA: 'ImageData',
  INFOGAIN_LOSS: 'InfogainLoss',
  INNER_PRODUCT: 'InnerProduct',
  LRN: 'LRN',
  MEMORY_DATA: 'MemoryData',
  MULTINOMIAL_LOGISTIC_LOSS: 'MultinomialLogisticLoss',
  MVN: 'MVN',
  POOLING: 'Pooling',
  POWER: 'Power',
  RELU: 'ReLU',
  SIGMOID: 'Sigmoid',
  SIGMOID_CROSS_ENTROPY_LOSS: 'SigmoidCrossEntropyLoss',
  SILENCE: 'Silence',
  SOFTMAX: 'Softmax',
  SOFTMAX_LOSS: 'SoftmaxWithLoss',
  SPLIT: 'Split',
  SLICE: 'Slice',
  TANH: 'TanH',
  WINDOW_DATA: 'WindowData',
  THRESHOLD: 'Threshold',
};

// V0 type strings -> V1 enum names (UpgradeV0LayerType).
const V0_TO_V1: Record<string, string> = {
  accuracy: 'ACCURACY',
  bnll: 'BNLL',
  concat: 'CONCAT',
  conv: 'CONVOLUTION',
  data: 'DATA',
  dropout: 'DROPOUT',
  euclidean_loss: 'EUCLIDEAN_LOSS',
  flatten: 'FLATTEN',
  hdf5_data: 'HDF5_DATA',
  hdf5_output: 'HDF5_OUTPUT',
  im2col: 'IM2COL',
  images: 'IMAGE_DATA',
  infogain_loss: 'INFOGAIN_LOSS',
  innerproduct: 'INNER_PRODUCT',
  lrn: 'LRN',
  multinomial_logistic_loss: 'MULTINOMIAL_LOGISTIC_LOSS',
  pool: 'POOLING',
  relu: 'RELU',
  sigmoid: 'SIGMOID',
  softmax: 'SOFTMAX',
  softmax_loss: 'SOFTMAX_LOSS',
  split: 'SPLIT',
  tanh: 'TANH',
  window_data: 'WINDOW_DATA',
};

/** V1 enum name -> V2 type string (unknown names are returned unchanged). */
export function v1TypeToV2(v1: string): string {
  return Object.prototype.hasOwnProperty.call(V1_TO_V2, v1) ? V1_TO_V2[v1] : v1;
}

/** V2 type string -> V1 enum name, or undefined when V1 has no such type. */
export function v2TypeToV1(v2: string): string | undefined {
  for (const [k, v] of Object.entries(V1_TO_V2)) if (v === v2 && k !== 'NONE') return k;
  return undefined;
}

/** V0 type string -> V2 type string (unknown strings are returned unchanged). */
export function v0TypeToV2(v0: string): string {
  const v1 = Object.prototype.hasOwnProperty.call(V0_TO_V1, v0) ? V0_TO_V1[v0] : undefined;
  return v1 === undefined ? v0 : v1TypeToV2(v1);
}
