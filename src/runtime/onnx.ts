/**
 * The ONNX engine: an .onnx file (from `senet convert -o model.onnx`) on ONNX Runtime
 * (onnxruntime-node): CPU, or CUDA where that build is installed. Sessions run sequentially (the
 * parallel executor measured twice as slow on 2 cores) with every graph optimisation, and
 * `threads` intra-op threads. Blobs beyond the graph's outputs are fetched by adding them as
 * graph outputs when the session is made (ONNX Runtime hands out graph outputs only).
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as Ort from 'onnxruntime-node';
import { InputFileError, InputMismatchError, SenetError, UsageError } from '../errors';
import { cannotRead } from '../input-file';
import { onnxBytesWithOutputs, readOnnxMetadata, readOnnxValueNames, SENET_METADATA_KEY } from '../onnx';
import { asModelMetadata, type ModelMetadata } from '../model-metadata';
import type { HostArray } from './run';

export type OnnxDevice = 'cpu' | 'cuda';

/** An ONNX model path: ending in .onnx and not a folder (a GraphModel folder may be so named). */
export function isOnnxModelPath(p: string): boolean {
  if (!p.toLowerCase().endsWith('.onnx')) return false;
  try {
    return !fs.statSync(p).isDirectory();
  } catch {
    return true;
  }
}

/** The senet-caffe metadata of an .onnx file (undefined when it has none), without loading the graph. */
export function readOnnxModelMetadata(file: string): ModelMetadata | undefined {
  const props = readOnnxMetadata(file);
  const text = props.get(SENET_METADATA_KEY);
  if (text === undefined) return undefined;
  try {
    return asModelMetadata(JSON.parse(text));
  } catch {
    throw new InputFileError(file, `metadata '${SENET_METADATA_KEY}' is not valid JSON`);
  }
}

/**
 * The most intra-op threads a session is given. Far more only fails inside ONNX Runtime (1e9:
 * std::bad_alloc, which would read as a model it cannot load).
 */
export const MAX_ONNX_THREADS = 1024;

/** `--threads` as given (undefined: ONNX Runtime's default); a usage error unless 1..MAX_ONNX_THREADS. */
export function checkOnnxThreads(threads: number | undefined): number | undefined {
  if (threads === undefined) return undefined;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_ONNX_THREADS) {
    throw new UsageError(`--threads must be a whole number from 1 to ${MAX_ONNX_THREADS}, got ${Number.isNaN(threads) ? 'something that is not a number' : threads}`);
  }
  return threads;
}

let ort: typeof Ort | undefined;

function onnxRuntime(): typeof Ort {
  if (ort === undefined) {
    try {
      ort = require('onnxruntime-node') as typeof Ort;
    } catch (e) {
      throw new SenetError(`ONNX Runtime (onnxruntime-node) cannot be loaded: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  return ort;
}

/** Whether the CUDA provider library was installed with the package (ONNXRUNTIME_NODE_INSTALL=cuda12). */
function cudaInstalled(): boolean {
  try {
    const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = path.join(pkg, 'bin', `napi-v${process.versions.napi ?? '3'}`, process.platform, process.arch);
    const dirs = fs.existsSync(dir) ? [dir] : fs.readdirSync(path.join(pkg, 'bin')).map((d) => path.join(pkg, 'bin', d, process.platform, process.arch));
    return dirs.some((d) => fs.existsSync(path.join(d, 'libonnxruntime_providers_cuda.so')));
  } catch {
    return false;
  }
}

export interface OnnxLoadOptions {
  /** Intra-op threads (default: ONNX Runtime's, one per core). */
  threads?: number;
  /** Blobs (Caffe names, or ONNX value names) to make fetchable besides the graph's outputs. */
  fetch?: readonly string[];
  /** Default: CUDA when installed and it starts, else CPU. */
  device?: OnnxDevice;
}

export interface OnnxModel {
  readonly file: string;
  readonly metadata: ModelMetadata | undefined;
  readonly device: OnnxDevice;
  /** Intra-op threads asked for (0: ONNX Runtime's default). */
  readonly threads: number;
  /** The model's outputs: Caffe blob names when the metadata says, else ONNX value names. */
  readonly outputNames: readonly string[];
  /** NCHW input shape from the metadata or the graph (-1: free). */
  readonly inputShape: readonly number[] | undefined;
  /** Runs one NCHW input; returns the requested blobs (default the outputs), keyed as asked. */
  run(input: HostArray, outputs?: readonly string[]): Promise<Record<string, HostArray>>;
  dispose(): Promise<void>;
}

/** Loads an .onnx file into an ONNX Runtime session. */
export async function loadOnnxModel(file: string, opts: OnnxLoadOptions = {}): Promise<OnnxModel> {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw cannotRead(file, e);
  }
  if (!st.isFile()) throw new InputFileError(file, `is ${st.isDirectory() ? 'a folder' : 'not a regular file'}, not an ONNX model file`);
  checkOnnxThreads(opts.threads);
  const metadata = readOnnxModelMetadata(file);
  const valueOf = (name: string): string => (metadata?.blobToTensor !== undefined && Object.prototype.hasOwnProperty.call(metadata.blobToTensor, name) ? metadata.blobToTensor[name] : undefined) ?? name;
  const known = new Set(Object.values(metadata?.blobToTensor ?? {}));
  const outputs = metadata?.outputNames.map(valueOf) ?? [];
  const extra = [...new Set((opts.fetch ?? []).map(valueOf))].filter((v) => !outputs.includes(v));
  // Without senet's blob map the graph's own value names are checked (ONNX Runtime would report
  // an unknown one as an invalid model).
  const names = metadata?.blobToTensor !== undefined ? known : extra.length > 0 ? readOnnxValueNames(file) : undefined;
  if (names !== undefined) {
    const unknown = (opts.fetch ?? []).filter((n) => !names.has(valueOf(n)));
    if (unknown.length > 0) throw new UsageError(`${file}: no blob named ${unknown.map((n) => `'${n}'`).join(', ')} in the model`);
  }
  const rt = onnxRuntime();
  // Without extra outputs ONNX Runtime reads the file itself (no copy of a big model in JS memory).
  const bytes: string | Uint8Array = extra.length === 0 ? path.resolve(file) : onnxBytesWithOutputs(file, extra);
  const base: Ort.InferenceSession.SessionOptions = {
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    ...(opts.threads !== undefined ? { intraOpNumThreads: opts.threads } : {}),
  };
  const create = (providers: OnnxDevice[]): Promise<Ort.InferenceSession> => {
    const o = { ...base, executionProviders: providers };
    return typeof bytes === 'string' ? rt.InferenceSession.create(bytes, o) : rt.InferenceSession.create(bytes, o);
  };
  let session: Ort.InferenceSession | undefined;
  let device: OnnxDevice = 'cpu';
  const wantCuda = opts.device === 'cuda' || (opts.device === undefined && cudaInstalled());
  try {
    if (wantCuda) {
      try {
        session = await create(['cuda']);
        device = 'cuda';
      } catch (e) {
        if (opts.device === 'cuda') throw new SenetError(`ONNX Runtime cannot use CUDA: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      }
    }
    session ??= await create(['cpu']);
  } catch (e) {
    if (e instanceof SenetError) throw e;
    throw new InputFileError(file, `ONNX Runtime cannot load it: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const s = session;
  const inputName = metadata?.inputName ?? s.inputNames[0];
  const graphIn = (s.inputMetadata as ReadonlyArray<{ name: string; isTensor: boolean; shape?: ReadonlyArray<number | string> }> | undefined)?.find((m) => m.name === inputName);
  const inputShape = metadata?.caffeInputShape ?? (graphIn?.isTensor ? graphIn.shape?.map((d) => (typeof d === 'number' ? d : -1)) : undefined);
  const outputNames = metadata?.outputNames ?? s.outputNames.filter((n) => !extra.includes(n));
  const fetchable = new Set(s.outputNames);
  return {
    file,
    metadata,
    device,
    threads: opts.threads ?? 0,
    outputNames,
    inputShape,
    async run(input, requested) {
      if (input.data.length !== input.shape.reduce((a, b) => a * b, 1)) throw new InputMismatchError(`input has ${input.data.length} values but shape [${input.shape}]`);
      if (inputShape !== undefined) {
        const ok = input.shape.length === inputShape.length && input.shape.every((d, i) => inputShape[i] < 0 || inputShape[i] === d);
        if (!ok) throw new InputMismatchError(`${file}: input has shape [${input.shape}], the model expects NCHW [${inputShape.map((d) => (d < 0 ? '?' : d))}]`);
      }
      const names = requested ?? outputNames;
      const values = names.map(valueOf);
      values.forEach((v, i) => {
        if (!fetchable.has(v)) {
          throw new UsageError(known.has(v) || !metadata?.blobToTensor ? `${file}: blob '${names[i]}' was not requested when the model was opened` : `${file}: no blob named '${names[i]}' in the model`);
        }
      });
      const x = new rt.Tensor('float32', input.data, input.shape);
      const res = await s.run({ [inputName]: x }, [...new Set(values)]);
      const out: Record<string, HostArray> = {};
      const seen = new Set<ArrayBufferLike>();
      names.forEach((n, i) => {
        const t = res[values[i]];
        let data = t.data as Float32Array;
        // Results must own their memory (they may be transferred); one value may serve two names.
        if (seen.has(data.buffer)) data = data.slice();
        seen.add(data.buffer);
        out[n] = { data, shape: t.dims.map(Number) };
      });
      return out;
    },
    async dispose() {
      await s.release();
    },
  };
}
