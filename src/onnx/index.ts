/** ONNX as a conversion target: a graph builder, a streaming file writer and a metadata reader. */
export { OnnxGraph, int, float, ints, initializerBytes } from './graph';
export type { OnnxAttr, OnnxDim, OnnxInitializer, OnnxNode, OnnxValueInfo } from './graph';
export { writeOnnxModel, writeOnnxModelAsync } from './write';
export type { WriteOnnxOptions } from './write';
export { readOnnxMetadata, readOnnxValueNames, onnxBytesWithOutputs } from './read';
export { OPSET } from './fields';
export { SENET_METADATA_KEY } from './metadata';
