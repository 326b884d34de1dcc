/**
 * Layer handlers: one module per Caffe layer type (or family of trivially similar types) with
 * its shape rule, stored blob shapes, cost, TF conversion, reference kernel and random-init rule,
 * and shape inference over a whole net.
 */
export { layerHandlers, handlerFor } from './registry';
export type { Arity, ChannelAffineHook, ConvertTarget, LayerCategory, LayerConverters, LayerDocs, LayerHandler, LayerRole, Shape } from './handler';
export { CONVERT_TARGETS, TARGET_NAMES, droppedAtInference, layerCategory, layerRole } from './roles';
export type { ChannelFold, ConvertContext, ConvertFn, HostArray, LayerBlob, LayerConvertBase, LayoutHelpers } from './convert-api';
export { FLOAT32, FLOAT64, fillNormal, fillUniform } from './reference-api';
export type { CalibrateFn, ForwardContext, ForwardFn, NumericPolicy, RandomInitContext, RandomInitFn, RandomStream, Tensor, Values } from './reference-api';
export { detExp, detLog, detTanh } from './det-math';
export type { OnnxConvertContext, OnnxConvertFn } from './onnx-api';
export { batchNormAffine, checkGlobalStats } from './batch-norm';
export { countOf } from './handler';
export { UNKNOWN } from './data';
export { convGeometry } from './conv-geometry';
export type { ConvGeometry } from './conv-geometry';
export { FLT_MAX, poolGeometry, pooledSize } from './pooling';
export type { PoolGeometry } from './pooling';
export { inferShapes, inputBlobs, stateMeetsRule, layerIncluded } from './infer';
export type { InferOptions, LayerShapes, NetShapes } from './infer';
