/**
 * Caffe net + weights -> TF.js graph (TEST phase, NHWC inside) or ONNX graph (NCHW), every blob
 * addressable by name.
 */
export { caffeBlobOrder, convertNet, findClassifier, isOfficialSenet, prepareNet, DATA_LAYER_TYPES } from './net';
export type { ConvertNetOptions, ConvertedNet, ConvertProgress, ConvertTarget, PreparedNet } from './net';
export { convertNetToOnnx, onnxMetadataProps } from './onnx-net';
export type { OnnxConvertedNet } from './onnx-net';
export { convertFiles, formatOfPath } from './files';
export type { ConvertFilesOptions, ConvertFilesProgress, ConvertFilesResult, ModelFormat } from './files';
