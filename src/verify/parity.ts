/**
 * Parity run: a converted model (a GraphModel folder or an .onnx file; or a Caffe net + weights,
 * converted to a temporary one) against reference blobs dumped from real Caffe (pycaffe: np.save
 * per blob, or one .npz).
 */
import { discardTemp, holdTemp } from '../temp-files';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel } from '../caffemodel';
import { convertNet, convertNetToOnnx, onnxMetadataProps, type ConvertProgress } from '../convert';
import { InputFileError, SenetError } from '../errors';
import { writeOnnxModel } from '../onnx';
import { blobFileKey, isOnnxModelPath, loadModel, loadOnnxModel, readOnnxModelMetadata, runModel, readNpy, readNpz, toFloat32, type LoadedModel, type OnnxModel } from '../runtime';
import type { ModelMetadata } from '../model-metadata';
import { writeGraphModel } from '../tfgraph';
import { readNetText } from '../upgrade';
import { blobInfoFromLayers, compareBlobs, type BlobArray, type CompareOptions, type ModelBlobInfo, type ParityReport, type TruthArray } from './compare';

/**
 * Reads the reference: a folder of `<key>.npy` or one `.npz`. Keys stay in file form; they are
 * matched to blob names with blobFileKey.
 */
export function readReference(ref: string): Map<string, BlobArray> {
  let st: fs.Stats;
  try {
    st = fs.statSync(ref);
  } catch {
    throw new InputFileError(ref, 'no such reference (a folder of .npy files or an .npz)');
  }
  const out = new Map<string, BlobArray>();
  if (st.isDirectory()) {
    for (const f of fs.readdirSync(ref).sort()) {
      if (!f.endsWith('.npy')) continue;
      const a = readNpy(path.join(ref, f));
      out.set(f.slice(0, -4), { data: toFloat32(a), shape: a.shape.slice() });
    }
    if (out.size === 0) throw new InputFileError(ref, 'no .npy files in this folder');
  } else {
    const z = readNpz(ref);
    for (const [k, a] of Object.entries(z)) out.set(k.replace(/\.npy$/, ''), { data: toFloat32(a), shape: a.shape.slice() });
    if (out.size === 0) throw new InputFileError(ref, 'the .npz holds no arrays');
  }
  return out;
}

export interface ParityModel {
  /** TF.js models: the loaded GraphModel (runParity runs it in this thread). */
  loaded?: LoadedModel;
  /** Either engine: runs the model fetching the named blobs (runParityAsync). */
  run(input: BlobArray, blobs: readonly string[]): Promise<Record<string, BlobArray>>;
  /** What runs it: 'onnxruntime-cpu', or undefined for TF.js (the backend initBackend chose). */
  engine?: string;
  /** Blobs in topological order, with the layers writing each. */
  order: ModelBlobInfo[];
  /** Removes the temporary folder of an in-memory conversion. */
  dispose(): void;
}

/**
 * Blob order of a model folder: the metadata's `extra.blobOrder` (Caffe's order, validated by
 * asModelMetadata); models converted before it was recorded fall back to blobToTensor's key order.
 */
export function blobOrderFromMetadata(loaded: { metadata: ModelMetadata | undefined; dir: string }): ModelBlobInfo[] {
  const b2t = loaded.metadata?.blobToTensor;
  if (b2t === undefined) {
    throw new SenetError(`${loaded.dir}: the model has no senet-caffe blob map (blobToTensor); convert it with senet convert, or pass NET.prototxt W.caffemodel`);
  }
  const names = loaded.metadata?.extra?.blobOrder ?? Object.keys(b2t);
  const outputs = new Set(loaded.metadata?.outputNames ?? []);
  return names.map((name) => ({ name, layers: [], output: outputs.has(name) }));
}

function tfjsParityModel(loaded: LoadedModel, order: ModelBlobInfo[], dispose: () => void): ParityModel {
  return { loaded, order, dispose, run: async (input, blobs) => runModel(loaded, input, { outputs: blobs }) };
}

/** An ONNX model with every blob of its blob map fetchable. */
async function onnxParityModel(file: string, threads: number | undefined, order: ModelBlobInfo[] | undefined, dispose: () => void): Promise<ParityModel> {
  const metadata = readOnnxModelMetadata(file);
  const blobOrder = order ?? blobOrderFromMetadata({ metadata, dir: file });
  const m: OnnxModel = await loadOnnxModel(file, { threads, fetch: blobOrder.map((b) => b.name).filter((b) => metadata?.blobToTensor !== undefined && Object.prototype.hasOwnProperty.call(metadata.blobToTensor, b)) });
  return {
    order: blobOrder,
    engine: `onnxruntime-${m.device}`,
    run: (input, blobs) => m.run(input, blobs),
    dispose: () => {
      void m.dispose().finally(dispose);
    },
  };
}

/** Opens a model folder (initBackend first) or an .onnx file (`threads`: ONNX Runtime's intra-op threads). */
export async function openModelDir(dir: string, opts: { threads?: number } = {}): Promise<ParityModel> {
  if (isOnnxModelPath(dir)) return onnxParityModel(dir, opts.threads, undefined, () => undefined);
  const loaded = await loadModel(dir);
  return tfjsParityModel(loaded, blobOrderFromMetadata(loaded), () => undefined);
}

/** Converts NET + WEIGHTS into a temporary folder and opens it (initBackend first); `onProgress` sees each layer converted. */
export async function convertAndOpen(
  netFile: string, weightsFile: string, inputShape: number[], opts: { onProgress?: (p: ConvertProgress) => void; format?: 'tfjs' | 'onnx'; threads?: number } = {},
): Promise<ParityModel> {
  const net = readNetText(netFile);
  const weights = readCaffemodel(weightsFile);
  if (opts.format === 'onnx') {
    const onnx = convertNetToOnnx({ net, weights, inputShape, phase: 'TEST', onProgress: opts.onProgress });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-parity-'));
    const dispose = (): void => fs.rmSync(tmp, { recursive: true, force: true });
    try {
      const file = path.join(tmp, 'model.onnx');
      const shapes = new Map<string, number[]>();
      for (const l of onnx.layers) l.tops.forEach((t, k) => shapes.set(t, l.outputShapes[k]));
      writeOnnxModel(file, onnx.graph, { metadata: onnxMetadataProps(onnx.metadata, shapes) });
      const order = blobInfoFromLayers(onnx.layers).filter((b) => onnx.blobs.has(b.name));
      return await onnxParityModel(file, opts.threads, order, dispose);
    } catch (e) {
      dispose();
      throw e;
    }
  }
  const converted = convertNet({ net, weights, inputShape, phase: 'TEST', onProgress: opts.onProgress });
  const order = blobInfoFromLayers(converted.layers);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-parity-'));
  // Removed on an interrupt too (see temp-files).
  holdTemp(tmp);
  const dispose = (): void => discardTemp(tmp);
  try {
    const dir = path.join(tmp, 'model');
    writeGraphModel(dir, converted.graph, { metadata: converted.metadata });
    const loaded = await loadModel(dir);
    // Only blobs the graph can hand out.
    const b2t = loaded.metadata?.blobToTensor ?? {};
    return tfjsParityModel(loaded, order.filter((b) => b2t[b.name] !== undefined), dispose);
  } catch (e) {
    dispose();
    throw e;
  }
}

/** Reference keys are file names: mapped back to blob names through the model's blobs. */
function referenceByBlob(model: ParityModel, reference: ReadonlyMap<string, BlobArray>): { ref: Map<string, BlobArray>; wanted: string[] } {
  const byKey = new Map(model.order.map((b) => [blobFileKey(b.name), b.name]));
  const ref = new Map<string, BlobArray>();
  for (const [k, v] of reference) ref.set(byKey.get(k) ?? k, v);
  return { ref, wanted: model.order.filter((b) => ref.has(b.name)).map((b) => b.name) };
}

/** The float64 truth by blob name (keys given as blob names or file keys). */
function truthByBlob(model: ParityModel, truth: ReadonlyMap<string, TruthArray> | undefined): Map<string, TruthArray> | undefined {
  if (truth === undefined) return undefined;
  const byKey = new Map(model.order.map((b) => [blobFileKey(b.name), b.name]));
  return new Map([...truth].map(([k, v]) => [byKey.get(k) ?? k, v]));
}

/**
 * Runs a TF.js model on `input` in this thread and compares every blob the reference also has; with
 * a float64 `truth` each blob also gets its distances from it (compare.ts, the float32-noise rule).
 */
export function runParity(
  model: ParityModel, input: BlobArray, reference: ReadonlyMap<string, BlobArray>, opts: CompareOptions = {}, truth?: ReadonlyMap<string, TruthArray>,
): ParityReport {
  const { ref, wanted } = referenceByBlob(model, reference);
  const exact = truthByBlob(model, truth);
  const mine = new Map<string, BlobArray>();
  if (wanted.length > 0) {
    if (model.loaded === undefined) throw new SenetError('runParity runs TF.js models; use runParityAsync for ONNX');
    const res = runModel(model.loaded, input, { outputs: wanted });
    for (const n of wanted) mine.set(n, res[n]);
  }
  return compareBlobs(model.order, ref, mine, opts, exact);
}

/** runParity for either engine. */
export async function runParityAsync(
  model: ParityModel, input: BlobArray, reference: ReadonlyMap<string, BlobArray>, opts: CompareOptions = {}, truth?: ReadonlyMap<string, TruthArray>,
): Promise<ParityReport> {
  const { ref, wanted } = referenceByBlob(model, reference);
  const mine = new Map<string, BlobArray>();
  if (wanted.length > 0) {
    const res = await model.run(input, wanted);
    for (const n of wanted) mine.set(n, res[n]);
  }
  return compareBlobs(model.order, ref, mine, opts, truthByBlob(model, truth));
}
