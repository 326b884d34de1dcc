/**
 * Caffe net + weights -> a model for a target: TF.js (NHWC inside) or ONNX (NCHW), TEST phase,
 * every blob addressable by name. The pipeline (see net.ts): prepare -> class order -> fold/fuse
 * (NetPlan) -> emit -> metadata.
 */
export { convertNet, convertNetToOnnx, convertWith } from './net';
export type { ConvertNetOptions, ConvertedNet, ConvertProgress, Converted, OnnxConvertedNet } from './net';
export { findClassifier, applyClassOrder } from './class-order';
export type { ClassOrder, ClassOrderOptions } from './class-order';
export { caffeBlobOrder } from './plan';
export type { NetPlan, PlannedLayer } from './plan';
export { prepareNet, sanitize } from './prepare';
export type { PreparedNet } from './prepare';
export { planNet } from './fold';
export { blobRewriter } from './blob-rewriter';
export type { BlobRewriter, Fill } from './blob-rewriter';
export type { Emitter, EmitProgress, EmitResult } from './emitter';
export { tfjsEmitter } from './emit-tfjs';
export type { TfjsEmitResult } from './emit-tfjs';
export { onnxEmitter, onnxMetadataProps } from './emit-onnx';
export type { OnnxEmitResult } from './emit-onnx';
export { modelMetadata, preprocessingFor } from './metadata';
export type { PreprocessingOptions } from './metadata';
export { officialArchitecture, releasePolicyFor, SENET_RELEASE } from './release';
export { structureFingerprint } from './structure-fingerprint';
export type { ReleasePolicy } from './release';
export { convertFiles, formatOfPath } from './files';
export type { ConvertFilesOptions, ConvertFilesProgress, ConvertFilesResult, ModelFormat } from './files';
export { describeUnused, unusedWeightsError } from './unused';
