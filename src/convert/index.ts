/** Caffe net + weights -> TF.js graph (TEST phase, NHWC inside, every blob addressable by name). */
export { caffeBlobOrder, convertNet, findClassifier, isOfficialSenet, DATA_LAYER_TYPES } from './net';
export type { ConvertNetOptions, ConvertedNet, ConvertProgress } from './net';
export { convertFiles } from './files';
export type { ConvertFilesOptions, ConvertFilesProgress, ConvertFilesResult } from './files';
