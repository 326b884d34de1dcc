/**
 * The float64 truth for parity: every blob of a TEST forward pass computed by this project's own
 * reference kernels (src/reference) in float64, written as a folder of `<key>.npy` (blobFileKey)
 * plus `reference.json`, which says what the values are: ours, not Caffe's. `senet reference`
 * writes it, `senet parity --truth DIR` reads it (or computes it in memory).
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputFileError, WeightsError } from '../errors';
import { countOf, inferShapes, inputBlobs, type LayerShapes, type Tensor } from '../layers';
import { FLOAT64, referenceForward } from '../reference';
import { blobFileKey, encodeNpy, readNpy } from '../runtime/npy';
import { matchWeights, readCaffemodel, type LayerWeights } from '../caffemodel';
import { readNetText } from '../upgrade';
import type { NetParameter } from '../schema';
import { OutputExistsError } from '../tfgraph';
import type { TruthArray } from './compare';

/** What a truth is computed from: the TEST net, its matched weights, its single input. */
export interface TruthSource {
  net: NetParameter;
  weights: LayerWeights[];
  input: { blob: string; shape: number[]; data: Float32Array | Float64Array };
}

/**
 * Reads NET and W for a truth run on `input` (NCHW, its shape replacing the net's): the net's one
 * input blob, and the weights matched to the TEST net's layers (a WeightsError names a layer whose
 * blobs are missing or misshapen).
 */
export function loadTruthSource(netFile: string, weightsFile: string, input: { shape: number[]; data: Float32Array | Float64Array }): TruthSource {
  const net = readNetText(netFile);
  const sources = inputBlobs(inferShapes(net, { phase: 'TEST' }));
  if (sources.length !== 1) {
    throw new WeightsError('(net)', undefined, `a reference run needs a net with exactly one input blob, found ${sources.length} (${sources.map((x) => x[0]).join(', ')})`);
  }
  const blob = sources[0][0];
  const shapes = inferShapes(net, { phase: 'TEST', inputShapes: { [blob]: input.shape } });
  const model = readCaffemodel(weightsFile);
  const byName = new Map(shapes.layers.map((l) => [l.name, l.blobShapes]));
  const weights = matchWeights(shapes.layers, model, (name) => byName.get(name));
  return { net: { ...net, state: { ...net.state, phase: 'TEST' } }, weights, input: { blob, shape: input.shape.slice(), data: input.data } };
}

/** `kind` of reference.json. */
export const TRUTH_KIND = 'senet-caffe float64 reference';
export const TRUTH_NOTE =
  "computed by senet-caffe's own reference kernels (src/layers, src/reference) in float64 with no float32 rounding; " +
  "not Caffe's output: use it to tell float32 rounding from a bug (senet parity --truth), or as a parity reference where no Caffe is at hand";

export interface TruthMeta {
  kind: typeof TRUTH_KIND;
  note: string;
  /** Arithmetic of the computation (always float64). */
  numeric: 'float64';
  /** Element type of the .npy files (float32 when asked: rounded once, at the end). */
  dtype: 'float64' | 'float32';
  net: string;
  weights: string;
  input: { file: string; blob: string; shape: number[] };
  /** In net order: blob name, file key, shape. */
  blobs: { name: string; key: string; shape: number[] }[];
  seconds: number;
}

export interface TruthProgress {
  /** Layers computed so far, of `total` (the TEST net's layers). */
  done: number;
  total: number;
  layer: string;
}

/**
 * Runs the float64 reference and hands over each blob once it has its final value (after the last
 * layer writing it, as Caffe's blob dump shows it); blobs are dropped after their last use, so
 * memory stays bounded by the live activations. Returns the blob names in net order.
 */
export function computeTruth(
  net: NetParameter,
  weights: readonly LayerWeights[],
  input: { blob: string; shape: number[]; data: Float32Array | Float64Array },
  onBlob: (name: string, t: Tensor<Float64Array>) => void,
  onProgress?: (p: TruthProgress) => void,
): string[] {
  const shapes = inferShapes(net, { inputShapes: { [input.blob]: input.shape } });
  const lastWriter = new Map<string, LayerShapes>();
  for (const l of shapes.layers) for (const t of l.tops) lastWriter.set(t, l);
  const order: string[] = [];
  const emit = (name: string, t: Tensor<Float64Array>): void => {
    order.push(name);
    onBlob(name, t);
  };
  const inputF64 = Float64Array.from(input.data);
  const given = lastWriter.get(input.blob);
  // An input no computing layer rewrites is final as given.
  const inputFinal = given === undefined || given.bottoms.length === 0;
  if (inputFinal) emit(input.blob, { shape: input.shape.slice(), data: inputF64 });
  let done = 0;
  referenceForward(net, {
    inputs: { [input.blob]: { shape: input.shape, data: inputF64 } },
    weights: new Map(weights.map((w) => [w.name, w.blobs])),
    shapes,
    numeric: FLOAT64,
    keep: () => false,
    afterLayer(ls, _param, tops) {
      ls.tops.forEach((t, i) => {
        if (lastWriter.get(t) === ls && tops[i] !== undefined) emit(t, tops[i]);
      });
      onProgress?.({ done: ++done, total: shapes.layers.length, layer: ls.name });
    },
  });
  return order;
}

export interface WriteTruthOptions {
  /** Element type of the .npy files; default float64. */
  dtype?: 'float64' | 'float32';
  /** Replace an existing folder (only once the new one is complete). */
  force?: boolean;
  /** File names recorded in reference.json. */
  files: { net: string; weights: string; input: string };
  onProgress?: (p: TruthProgress) => void;
}

/**
 * Computes the truth and writes it as folder `dir` (one .npy per blob, reference.json), through a
 * temp folder beside it that is renamed in, so a failed run leaves nothing half-written and an
 * existing folder is replaced (with `force`) only by a complete one.
 */
export function writeTruthDir(
  dir: string, net: NetParameter, weights: readonly LayerWeights[], input: { blob: string; shape: number[]; data: Float32Array | Float64Array }, opts: WriteTruthOptions,
): TruthMeta {
  const target = path.resolve(dir);
  if (fs.existsSync(target) && !opts.force) throw new OutputExistsError(dir);
  const dtype = opts.dtype ?? 'float64';
  const t0 = Date.now();
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.tmp-`));
  try {
    const blobs: TruthMeta['blobs'] = [];
    computeTruth(net, weights, input, (name, t) => {
      const key = blobFileKey(name);
      const data = dtype === 'float32' ? Float32Array.from(t.data) : t.data;
      fs.writeFileSync(path.join(tmp, `${key}.npy`), encodeNpy({ data, shape: t.shape }));
      blobs.push({ name, key, shape: t.shape.slice() });
    }, opts.onProgress);
    const meta: TruthMeta = {
      kind: TRUTH_KIND, note: TRUTH_NOTE, numeric: 'float64', dtype, net: opts.files.net, weights: opts.files.weights,
      input: { file: opts.files.input, blob: input.blob, shape: input.shape.slice() }, blobs, seconds: (Date.now() - t0) / 1000,
    };
    fs.writeFileSync(path.join(tmp, 'reference.json'), JSON.stringify(meta, null, 1) + '\n');
    if (fs.existsSync(target)) {
      const old = `${tmp}.old`;
      fs.renameSync(target, old);
      try {
        fs.renameSync(tmp, target);
      } catch (e) {
        fs.renameSync(old, target);
        throw e;
      }
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, target);
    }
    return meta;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The truth computed in memory, by blob name (every blob's float64 value: mind the memory on big nets). */
export function truthInMemory(
  net: NetParameter, weights: readonly LayerWeights[], input: { blob: string; shape: number[]; data: Float32Array | Float64Array }, onProgress?: (p: TruthProgress) => void,
): Map<string, TruthArray> {
  const out = new Map<string, TruthArray>();
  computeTruth(net, weights, input, (name, t) => out.set(name, t), onProgress);
  return out;
}

/** Reads a truth folder made by `senet reference`: blobs by Caffe name, and the metadata. */
export function readTruth(dir: string): { blobs: Map<string, TruthArray>; meta: TruthMeta } {
  const metaFile = path.join(dir, 'reference.json');
  if (!fs.existsSync(metaFile)) {
    throw new InputFileError(dir, "no reference.json: --truth takes a folder made by 'senet reference' (float64 values of our reference), not Caffe's blobs");
  }
  let meta: TruthMeta;
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as TruthMeta;
  } catch (e) {
    throw new InputFileError(metaFile, `not valid JSON (${(e as Error).message})`);
  }
  if (meta.kind !== TRUTH_KIND || !Array.isArray(meta.blobs)) throw new InputFileError(metaFile, `not a '${TRUTH_KIND}' description (kind ${JSON.stringify(meta.kind)})`);
  const blobs = new Map<string, TruthArray>();
  for (const b of meta.blobs) {
    const file = path.join(dir, `${b.key}.npy`);
    const a = readNpy(file);
    if (!(a.data instanceof Float64Array || a.data instanceof Float32Array)) throw new InputFileError(file, `holds ${a.dtype}, not float64 or float32`);
    if (a.data.length !== countOf(b.shape)) throw new InputFileError(file, `has ${a.data.length} values; reference.json says shape [${b.shape.join(', ')}]`);
    blobs.set(b.name, { data: a.data, shape: b.shape.slice() });
  }
  return { blobs, meta };
}
