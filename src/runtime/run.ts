/**
 * Running a loaded model on an NCHW float32 input (Caffe's layout) and returning NCHW results.
 * When the model's metadata says the graph is NHWC, the input is transposed at the boundary and
 * fetched rank-4 tensors are transposed back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputMismatchError, SenetError, UsageError } from '../errors';
import { Layout4 } from '../model-metadata';
import { LoadedModel } from './load';

export interface HostArray {
  data: Float32Array;
  shape: number[];
}

export interface RunOptions {
  /**
   * Tensors to fetch: TF node names (`name` or `name:1`) or Caffe blob names listed in the
   * metadata's `blobToTensor`. Default: the model's outputs.
   */
  outputs?: readonly string[];
}

/** An own string property: names such as 'constructor' must not find Object.prototype's. */
function own(map: Readonly<Record<string, unknown>> | undefined, key: string): string | undefined {
  if (map === undefined || map === null || !Object.prototype.hasOwnProperty.call(map, key)) return undefined;
  const v = map[key];
  return typeof v === 'string' ? v : undefined;
}

function resolveName(loaded: LoadedModel, name: string): string {
  return own(loaded.metadata?.blobToTensor, name) ?? name;
}

function layoutOf(loaded: LoadedModel, tensorName: string): Layout4 {
  const md = loaded.metadata;
  if (md === undefined) return 'NCHW'; // no metadata: return tensors exactly as the graph has them
  const node = tensorName.split(':')[0];
  return (own(md.tensorLayouts, tensorName) ?? own(md.tensorLayouts, node) ?? md.tensorLayout) as Layout4;
}

function checkInputShape(loaded: LoadedModel, shape: readonly number[], expected: readonly number[] | undefined, what: string): void {
  if (expected === undefined) return;
  const ok = shape.length === expected.length && shape.every((d, i) => expected[i] < 0 || expected[i] === d);
  if (!ok) {
    throw new InputMismatchError(`${loaded.dir}: input has shape [${shape}], the model expects ${what} [${expected.map((d) => (d < 0 ? '?' : d))}]`);
  }
}

/**
 * model.execute with the engine's failures as errors naming the model: running out of memory
 * (wasm's fixed heap says "memory access out of bounds" or aborts) names the batch at fault.
 */
function executeGraph(loaded: LoadedModel, feed: Record<string, tf.Tensor>, fetch: string[], shape: readonly number[]): tf.Tensor | tf.Tensor[] {
  try {
    return loaded.model.execute(feed, fetch);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (isOutOfMemory(e)) {
      throw new SenetError(`${loaded.dir}: out of memory in the ${tf.getBackend()} engine running a batch of shape [${shape}] (${msg.split('\n')[0]}); try a smaller batch`);
    }
    throw new SenetError(`${loaded.dir}: the model cannot run: ${msg.split('\n')[0].slice(0, 300)}`);
  }
}

/** Out-of-memory as the engines report it (V8 allocation failures, a wasm heap that cannot grow). */
export function isOutOfMemory(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return e instanceof RangeError || /memory access out of bounds|out of memory|Cannot enlarge memory|Aborted\(|allocation failed|OOM/i.test(msg);
}

/** Runs the model; returns the requested tensors keyed by the names asked for. */
export function runModel(loaded: LoadedModel, input: HostArray, opts: RunOptions = {}): Record<string, HostArray> {
  const { model, metadata } = loaded;
  if (input.data.length !== input.shape.reduce((a, b) => a * b, 1)) {
    throw new InputMismatchError(`input has ${input.data.length} values but shape [${input.shape}]`);
  }
  const inputName = metadata?.inputName ?? model.inputs[0]?.name;
  if (inputName === undefined) throw new SenetError(`${loaded.dir}: the model has no inputs`);
  if (metadata !== undefined) checkInputShape(loaded, input.shape, metadata.caffeInputShape, 'NCHW');
  const toNhwc = metadata?.inputLayout === 'NHWC' && input.shape.length === 4;
  if (input.shape.length > 0 && input.shape[0] === 0) throw new SenetError(`input has shape [${input.shape}]: a batch of 0, nothing to run`);
  // Each name once: a repeated --blob fetches the same tensor.
  const requested = [...new Set(opts.outputs ?? model.outputNodes)];
  const fetch = requested.map((n) => resolveName(loaded, n));
  const sigOutputs = (model.modelSignature as { outputs?: Record<string, unknown> } | undefined)?.outputs ?? {};
  for (let i = 0; i < fetch.length; i++) {
    if (!loaded.nodeNames.has(fetch[i].split(':')[0]) && !Object.prototype.hasOwnProperty.call(sigOutputs, fetch[i])) {
      throw new UsageError(`${loaded.dir}: no tensor or blob named '${requested[i]}' in the model`);
    }
  }
  const outputs = tf.tidy(() => {
    let x: tf.Tensor = tf.tensor(input.data, input.shape, 'float32');
    if (toNhwc) x = tf.transpose(x, [0, 2, 3, 1]);
    const graphShape = model.inputs.find((i) => i.name === inputName)?.shape;
    if (metadata === undefined) checkInputShape(loaded, x.shape, graphShape, 'shape');
    const res = executeGraph(loaded, { [inputName]: x }, fetch, input.shape);
    const list = Array.isArray(res) ? res : [res];
    // A damaged graph can "succeed" without producing what was fetched.
    if (list.length !== fetch.length || list.some((t) => !(t instanceof tf.Tensor))) {
      throw new SenetError(`${loaded.dir}: the model cannot run: it did not produce ${fetch.join(', ').slice(0, 200)}`);
    }
    return list.map((t, i) => {
      const nhwc = t.rank === 4 && layoutOf(loaded, fetch[i]) === 'NHWC';
      return nhwc ? tf.transpose(t, [0, 3, 1, 2]) : t;
    });
  });
  // No prototype: a blob named '__proto__' is a key like any other.
  const result = Object.create(null) as Record<string, HostArray>;
  // Backends may hand out their own storage and two fetched tensors may share it (Identity,
  // Reshape): copy on repeats so every result owns its buffer (and can be transferred).
  const seen = new Set<ArrayBufferLike>();
  outputs.forEach((t, i) => {
    const d = t.dataSync();
    let data = d instanceof Float32Array ? d : Float32Array.from(d);
    if (seen.has(data.buffer) || data.byteLength !== data.buffer.byteLength) data = data.slice();
    seen.add(data.buffer);
    result[requested[i]] = { data, shape: t.shape.slice() };
    t.dispose();
  });
  return result;
}
