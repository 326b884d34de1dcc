/**
 * The library's convenience functions: what one `senet` command does, as one call. They sit on top
 * of the modules (as src/cli does) and add no behaviour of their own; src/index.ts exports them
 * with the modules' own API.
 */
import { findArch, resolveOptions, type ArchOptions } from './archs';
import { printNet } from './builder';
import { convertFiles, type ConvertFilesOptions, type ConvertFilesResult } from './convert';
import { UsageError } from './errors';
import { initBackend, loadModel, runModel, type BackendName, type HostArray, type LoadedModel, type Runner } from './runtime';
import type { NetParameter } from './schema';
import type { ModelMetadata } from './model-metadata';
import { parseNetText, readNetText } from './upgrade';
import {
  imagenetClasses, modelLabelOrder, preprocessBatch, preprocessingFor, readModelMetadata, toProbabilities, topK,
  type PreprocessFlags, type PreprocessOptions,
} from './verify';

/** A prototxt's text (or bytes) -> the net, legacy formats (V0, V1, old input fields) upgraded as Caffe does. */
export function parsePrototxt(text: string | Uint8Array, file = '<prototxt>'): NetParameter {
  return parseNetText(text, file);
}

/** A prototxt file -> the net, upgraded as parsePrototxt does. */
export function readPrototxt(file: string): NetParameter {
  return readNetText(file);
}

/** The net as Caffe prints it (`senet fmt`); `comments` go after the name line, as in the official files. */
export function printPrototxt(net: NetParameter, comments: readonly string[] = []): string {
  return printNet(net, comments);
}

/** `senet generate ID`: the net of an architecture (IDs: `archs`), its defaults overridden by `options`. */
export function generate(id: string, options: Partial<ArchOptions> = {}): NetParameter {
  const entry = findArch(id);
  return entry.build(resolveOptions(entry, options)).build();
}

/** `senet generate ID` as text, byte for byte what the command writes. */
export function generatePrototxt(id: string, options: Partial<ArchOptions> = {}): string {
  const entry = findArch(id);
  return entry.build(resolveOptions(entry, options)).toPrototxt();
}

/**
 * `senet convert NET W -o OUT`: a TF.js GraphModel folder, or an ONNX file when `output` ends in
 * `.onnx` (or `options.format` says so). The caffemodel is streamed, never held whole.
 */
export function convert(prototxt: string, caffemodel: string, output: string, options: ConvertFilesOptions = {}): Promise<ConvertFilesResult> {
  return convertFiles(prototxt, caffemodel, output, { quiet: true, ...options });
}

/** A converted GraphModel folder, loaded on `backend` (default: the best available), ready for runModel / predict. */
export async function loadConverted(dir: string, options: { backend?: BackendName } = {}): Promise<LoadedModel> {
  await initBackend(options.backend);
  return loadModel(dir);
}

function metadataOf(model: string | LoadedModel | Runner | ModelMetadata): ModelMetadata {
  if (typeof model === 'string') return readModelMetadata(model);
  if ('model' in model || 'engine' in model) {
    if (model.metadata === undefined) throw new UsageError(`${'dir' in model ? model.dir : model.path}: no senet-caffe metadata (convert the model with senet convert)`);
    return model.metadata;
  }
  return model;
}

/**
 * `senet preprocess`: image files (or encoded image buffers) -> the NCHW float32 batch a model
 * takes, exactly what eval and predict feed it: the model's size, mean, channel order and scale
 * from its metadata, the resize/crop protocol by input size unless `flags` name one.
 */
export async function preprocess(
  model: string | LoadedModel | Runner | ModelMetadata,
  images: readonly (string | Buffer)[],
  flags: PreprocessFlags = {},
): Promise<{ data: Float32Array; shape: [number, number, number, number]; preprocessing: PreprocessOptions }> {
  const md = metadataOf(model);
  const preprocessing = preprocessingFor(md.caffeInputShape, md.preprocessing, flags);
  return { ...(await preprocessBatch(images, preprocessing)), preprocessing };
}

export interface Prediction {
  /** Index in the model's output. */
  index: number;
  /** ImageNet synset ID and words, for a 1000-class model (in its class order). */
  synset?: string;
  words?: string;
  /** The model's own class label, when its metadata has labels. */
  label?: string;
  probability: number;
}

/**
 * `senet predict`: the top-k classes of each image, most likely first. `model`: a loaded GraphModel
 * (loadConverted) or a runner of either engine (openRunner: a GraphModel folder or an .onnx file).
 */
export async function predict(model: LoadedModel | Runner, images: readonly (string | Buffer)[], options: { top?: number } & PreprocessFlags = {}): Promise<Prediction[][]> {
  const md = metadataOf(model);
  const top = options.top ?? 5;
  if (!Number.isInteger(top) || top < 1) throw new UsageError(`top must be a positive integer, got ${top}`);
  const batch = await preprocess(md, images, options);
  const plane = batch.data.length / Math.max(1, images.length);
  const output = md.outputNames[0];
  const out: Prediction[][] = [];
  for (let i = 0; i < images.length; i++) {
    const data = batch.data.subarray(i * plane, (i + 1) * plane);
    const input: HostArray = { data, shape: [1, ...batch.shape.slice(1)] };
    const res = ('engine' in model ? await model.run(input, [output]) : runModel(model, input, { outputs: [output] }))[output];
    const probs = toProbabilities(res.data);
    const own = md.labels?.length === probs.length ? md.labels : undefined;
    const names = own === undefined && probs.length === 1000 ? imagenetClasses(modelLabelOrder(md)) : undefined;
    out.push(topK(probs, Math.min(top, probs.length)).map((k) => ({
      index: k,
      ...(names ? { synset: names[k].synset, words: names[k].words } : {}),
      ...(own ? { label: own[k] } : {}),
      probability: probs[k],
    })));
  }
  return out;
}
