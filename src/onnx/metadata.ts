/** The metadata_props key holding senet-caffe's full model metadata (JSON): what its runtime reads. */
export const SENET_METADATA_KEY = 'senet_metadata';
