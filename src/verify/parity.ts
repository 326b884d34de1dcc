/**
 * Parity run: a converted model (or a Caffe net + weights, converted to a temporary folder)
 * against reference blobs dumped from real Caffe (pycaffe: np.save per blob, or one .npz).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel } from '../caffemodel';
import { convertNet, type ConvertProgress } from '../convert';
import { InputFileError, SenetError } from '../errors';
import { blobFileKey, loadModel, runModel, readNpy, readNpz, toFloat32, type LoadedModel } from '../runtime';
import { writeGraphModel } from '../tfgraph';
import { readNetText } from '../upgrade';
import { blobInfoFromLayers, compareBlobs, type BlobArray, type CompareOptions, type ModelBlobInfo, type ParityReport } from './compare';

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
  loaded: LoadedModel;
  /** Blobs in topological order, with the layers writing each. */
  order: ModelBlobInfo[];
  /** Removes the temporary folder of an in-memory conversion. */
  dispose(): void;
}

/**
 * Blob order of a model folder: the metadata's `extra.blobOrder` (Caffe's order, validated by
 * asModelMetadata); models converted before it was recorded fall back to blobToTensor's key order.
 */
export function blobOrderFromMetadata(loaded: LoadedModel): ModelBlobInfo[] {
  const b2t = loaded.metadata?.blobToTensor;
  if (b2t === undefined) {
    throw new SenetError(`${loaded.dir}: the model has no senet-caffe blob map (blobToTensor); convert it with senet convert, or pass NET.prototxt W.caffemodel`);
  }
  const names = loaded.metadata?.extra?.blobOrder ?? Object.keys(b2t);
  const outputs = new Set(loaded.metadata?.outputNames ?? []);
  return names.map((name) => ({ name, layers: [], output: outputs.has(name) }));
}

/** Opens a model folder (initBackend first). */
export async function openModelDir(dir: string): Promise<ParityModel> {
  const loaded = await loadModel(dir);
  return { loaded, order: blobOrderFromMetadata(loaded), dispose: () => undefined };
}

/** Converts NET + WEIGHTS into a temporary folder and opens it (initBackend first); `onProgress` sees each layer converted. */
export async function convertAndOpen(
  netFile: string, weightsFile: string, inputShape: number[], opts: { onProgress?: (p: ConvertProgress) => void } = {},
): Promise<ParityModel> {
  const net = readNetText(netFile);
  const weights = readCaffemodel(weightsFile);
  const converted = convertNet({ net, weights, inputShape, phase: 'TEST', onProgress: opts.onProgress });
  const order = blobInfoFromLayers(converted.layers);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-parity-'));
  const dispose = (): void => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    const dir = path.join(tmp, 'model');
    writeGraphModel(dir, converted.graph, { metadata: converted.metadata });
    const loaded = await loadModel(dir);
    // Only blobs the graph can hand out.
    const b2t = loaded.metadata?.blobToTensor ?? {};
    return { loaded, order: order.filter((b) => b2t[b.name] !== undefined), dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** Runs the model on `input` and compares every blob the reference also has. */
export function runParity(model: ParityModel, input: BlobArray, reference: ReadonlyMap<string, BlobArray>, opts: CompareOptions = {}): ParityReport {
  // Reference keys are file names: map them back to blob names through the model's blobs.
  const byKey = new Map(model.order.map((b) => [blobFileKey(b.name), b.name]));
  const ref = new Map<string, BlobArray>();
  for (const [k, v] of reference) ref.set(byKey.get(k) ?? k, v);
  const wanted = model.order.filter((b) => ref.has(b.name)).map((b) => b.name);
  const mine = new Map<string, BlobArray>();
  if (wanted.length > 0) {
    const res = runModel(model.loaded, input, { outputs: wanted });
    for (const n of wanted) mine.set(n, res[n]);
  }
  return compareBlobs(model.order, ref, mine, opts);
}
