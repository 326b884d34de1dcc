/**
 * senet-caffe as a library: what the `senet` command line does, as typed functions.
 *
 *   const senet = require('senet-caffe');
 *   const net = senet.generate('se-resnet-50');                       // senet generate
 *   await senet.convert('SE-ResNet-50.prototxt', 'SE-ResNet-50.caffemodel', 'se-resnet-50');  // senet convert
 *   const model = await senet.loadConverted('se-resnet-50');
 *   const [top5] = await senet.predict(model, ['cat.jpg']);            // senet predict
 *
 * Sections follow the data flow: prototxt -> generate -> caffemodels -> convert -> run ->
 * preprocess -> parity -> evaluate. Errors users can cause are the typed errors at the end
 * (SenetError and its subclasses, with file, line and column or layer and blob names).
 */

// --- one call per command ------------------------------------------------------------------------
export {
  convert, generate, generatePrototxt, loadConverted, parsePrototxt, predict, preprocess, printPrototxt, readPrototxt,
} from './api';
export type { Prediction } from './api';

// --- prototxt: parse, print, upgrade --------------------------------------------------------------
export { parseText, printText, headerComments } from './textformat';
export { caffeType } from './schema';
export type { NetParameter, LayerParameter } from './schema';
export { upgradeNet, needsUpgrade, parseNetTextWithInfo, readNetTextWithInfo } from './upgrade';
export type { UpgradeResult, UpgradeStep } from './upgrade';

// --- generate: architectures by ID and the typed builder ------------------------------------------
export { archs, findArch, resolveOptions } from './archs';
export type { ArchEntry, ArchOptions, Flavor, Phase, TrainDataOptions } from './archs';
export { NetBuilder, Top, printNet, portableNet, stockAxpyLayers } from './builder';
export type { AddOptions, LayerFields, PortableResult } from './builder';

// --- shapes, summary, the net page ----------------------------------------------------------------
export { inferShapes, layerHandlers } from './layers';
export type { NetShapes, LayerShapes } from './layers';
export { summarize, formatSummaryTable, renderNetPage } from './report';
export type { NetSummary, SummaryLayer } from './report';

// --- caffemodels: read, write, random weights -----------------------------------------------------
export { readCaffemodel, indexCaffemodel, writeCaffemodel, readBinaryproto, writeBinaryproto, matchWeights } from './caffemodel';
export type { BlobData, Caffemodel, LayerWeights } from './caffemodel';
export { randomWeights } from './reference';
export type { RandomWeightsOptions, CalibrateOptions } from './reference';

// --- convert: TF.js GraphModel or ONNX --------------------------------------------------------------
export { convertFiles, convertNet, formatOfPath } from './convert';
export type { ConvertFilesOptions, ConvertFilesResult, ConvertNetOptions, ConvertedNet, ModelFormat } from './convert';
export { asModelMetadata, graphInputShape, METADATA_VERSION } from './model-metadata';
export type { ModelMetadata, PreprocessingInfo, Layout4 } from './model-metadata';

// --- run a converted model (TF.js backends or ONNX Runtime), .npy/.npz --------------------------
export { initBackend, loadModel, runModel, BACKEND_ORDER, openRunner, loadOnnxModel, isOnnxModelPath } from './runtime';
export type { BackendName, BackendInfo, LoadedModel, HostArray, RunOptions, Runner, RunnerOptions, OnnxModel } from './runtime';
export { readNpy, writeNpy, readNpz, writeNpz, parseNpy, encodeNpy, toFloat32 } from './runtime';
export type { NpyArray } from './runtime';
export { benchModel } from './runtime';
export type { BenchResult } from './runtime';

// --- preprocess images (eval's and predict's pipeline) --------------------------------------------
export {
  decodeImage, describePreprocessing, parseMean, preprocessBatch, preprocessImage, preprocessingFor, preprocessPixels, readModelMetadata,
  PROTOCOLS, autoProtocol, parseProtocol,
} from './verify';
export type { Mean, PreprocessFlags, PreprocessOptions, ProtocolName } from './verify';

// --- parity with Caffe's blobs, ImageNet classes, evaluation --------------------------------------
export { compareBlobs, formatParityTable, parityJson, parityJunit, openModelDir, readReference, runParity, runParityAsync, renderParityPage } from './verify';
export type { ParityModel } from './verify';
export type { BlobArray, BlobResult, CompareOptions, ParityReport } from './verify';
export { imagenetClasses, LABEL_ORDERS, indexMap, toProbabilities, topK } from './verify';
export type { LabelOrder, ClassInfo } from './verify';
export { evaluate } from './verify';
export type { EvalOptions, EvalResult } from './verify';

// --- errors ---------------------------------------------------------------------------------------
export { SenetError, UsageError, TextFormatError, NetError, WeightsError, InputFileError, UnsupportedLayerError } from './errors';
