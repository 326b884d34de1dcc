/**
 * A worker_threads pool for throughput over many inputs: each worker has its own backend
 * instance and model copy (the wasm backend runs single-threaded in Node, so parallelism comes
 * from workers). Results are identical to a direct runModel call. An .onnx model gets a pool of
 * one ONNX Runtime session instead, whose parallelism is its intra-op threads: runs are queued
 * one at a time (two at once would only fight over the same cores).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { SenetError, UsageError } from '../errors';
import { BackendName } from './backend';
import type { PoolReply, PoolRequest, PoolWorkerData } from './pool-worker';
import { isOnnxModelPath, loadOnnxModel } from './onnx';
import { HostArray } from './run';
import type { EngineLabel } from './runner';

export interface PoolOptions {
  modelDir: string;
  /** Number of workers; default: available parallelism. */
  workers?: number;
  /** Backend for every worker; default: the first available (see initBackend). */
  backend?: BackendName;
  /** ONNX Runtime intra-op threads (.onnx models). */
  threads?: number;
}

export interface Pool {
  /** Runs one NCHW input (see runModel); `outputs` as in RunOptions. */
  run(input: HostArray, outputs?: string[]): Promise<Record<string, HostArray>>;
  /** Terminates the workers; pending runs are rejected. */
  close(): Promise<void>;
  readonly size: number;
  /** The backend each worker chose (`onnxruntime-cpu` or `-cuda` for the ONNX session). */
  readonly backends: readonly EngineLabel[];
}

interface Task {
  id: number;
  input: HostArray;
  outputs?: string[];
  resolve: (r: Record<string, HostArray>) => void;
  reject: (e: Error) => void;
}

/**
 * Compiled (dist/*.js): the worker is pool-worker.js. From sources (tests via ts-jest): a
 * bootstrap that transpiles .ts files with the `typescript` dev dependency on require.
 */
function spawn(data: PoolWorkerData): Worker {
  const js = path.join(__dirname, 'pool-worker.js');
  if (fs.existsSync(js)) return new Worker(js, { workerData: data });
  const ts = path.join(__dirname, 'pool-worker.ts');
  const bootstrap = `
    const fs = require('fs');
    const ts = require(${JSON.stringify(require.resolve('typescript'))});
    require.extensions['.ts'] = (module, filename) => {
      const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
        fileName: filename,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      module._compile(out.outputText, filename);
    };
    require(${JSON.stringify(ts)});`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/** The ONNX session as a pool of one: runs queued one after another. */
async function createOnnxPool(opts: PoolOptions): Promise<Pool> {
  if (opts.workers !== undefined && opts.workers !== 1) throw new UsageError('an ONNX model runs in one ONNX Runtime session: give --threads, not --workers');
  if (opts.backend !== undefined) throw new UsageError(`--backend chooses a TF.js backend; '${opts.modelDir}' is an ONNX model`);
  const m = await loadOnnxModel(opts.modelDir, { threads: opts.threads });
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;
  return {
    size: 1,
    backends: [`onnxruntime-${m.device}`],
    run(input, outputs) {
      if (closed) return Promise.reject(new SenetError('the pool is closed'));
      const r = tail.then(() => m.run(input, outputs));
      tail = r.catch(() => undefined);
      return r;
    },
    async close() {
      if (closed) return;
      closed = true;
      await tail;
      await m.dispose();
    },
  };
}

export async function createPool(opts: PoolOptions): Promise<Pool> {
  if (isOnnxModelPath(opts.modelDir)) return createOnnxPool(opts);
  if (opts.threads !== undefined) throw new UsageError(`--threads sets ONNX Runtime's threads; '${opts.modelDir}' is a TF.js model (use --workers)`);
  const n = opts.workers ?? Math.max(1, os.availableParallelism());
  if (!Number.isInteger(n) || n < 1) throw new SenetError(`worker count must be a positive integer, got ${opts.workers}`);
  const data: PoolWorkerData = { modelDir: path.resolve(opts.modelDir), backend: opts.backend };
  const workers = Array.from({ length: n }, () => spawn(data));
  const busy = new Map<Worker, Task>();
  const idle: Worker[] = [];
  const queue: Task[] = [];
  let closed = false;
  let nextId = 1;

  const dispatch = (): void => {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop() as Worker;
      const t = queue.shift() as Task;
      busy.set(w, t);
      const req: PoolRequest = { id: t.id, input: t.input, outputs: t.outputs };
      w.postMessage(req);
    }
  };
  const failAll = (e: Error): void => {
    for (const t of [...busy.values(), ...queue]) t.reject(e);
    busy.clear();
    queue.length = 0;
  };

  const backends = await Promise.all(
    workers.map(
      (w) =>
        new Promise<BackendName>((resolve, reject) => {
          w.once('error', reject);
          w.once('message', (m: PoolReply) => {
            if (m.type === 'ready') resolve(m.backend);
            else if (m.type === 'error') reject(m.userError ? new SenetError(m.message) : new Error(m.message));
          });
        }),
    ),
  ).catch(async (e: Error) => {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  });

  for (const w of workers) {
    w.removeAllListeners('error');
    w.on('message', (m: PoolReply) => {
      const t = busy.get(w);
      if (t === undefined || m.type === 'ready') return;
      busy.delete(w);
      if (m.type === 'result') t.resolve(m.result);
      else t.reject(m.userError ? new SenetError(m.message) : new Error(m.message));
      idle.push(w);
      dispatch();
    });
    w.on('error', (e) => {
      const t = busy.get(w);
      busy.delete(w);
      t?.reject(e);
    });
    w.on('exit', () => {
      if (!closed) failAll(new SenetError('a pool worker exited unexpectedly'));
    });
    idle.push(w);
  }

  return {
    size: n,
    backends,
    run(input, outputs) {
      if (closed) return Promise.reject(new SenetError('the pool is closed'));
      return new Promise((resolve, reject) => {
        // Structured cloning copies a view's whole buffer: send only the view's bytes.
        const data = input.data.byteLength === input.data.buffer.byteLength ? input.data : input.data.slice();
        queue.push({ id: nextId++, input: { data, shape: input.shape }, outputs, resolve, reject });
        dispatch();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      failAll(new SenetError('the pool was closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
