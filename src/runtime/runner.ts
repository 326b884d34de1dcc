/**
 * One runtime, two engines: a converted model is a TF.js GraphModel folder (run on TF.js, see
 * backend.ts) or an .onnx file (run on ONNX Runtime, see onnx.ts). A Runner hides which; every
 * command that runs a model opens it here and says which engine and device ran.
 */
import { UsageError } from '../errors';
import type { ModelMetadata } from '../model-metadata';
import { initBackend, type BackendName } from './backend';
import { loadModel } from './load';
import { isOnnxModelPath, loadOnnxModel, type OnnxDevice } from './onnx';
import { runModel, type HostArray } from './run';

export type EngineName = 'tfjs' | 'onnxruntime';

/** What ran: the TF.js backend, or ONNX Runtime and its device. */
export type EngineLabel = BackendName | `onnxruntime-${OnnxDevice}`;

export interface RunnerOptions {
  /** TF.js backend (GraphModel folders only). */
  backend?: BackendName;
  /** ONNX Runtime intra-op threads (.onnx only). */
  threads?: number;
  /** Blobs to fetch besides the outputs (ONNX Runtime needs them when the session is made). */
  fetch?: readonly string[];
}

export interface Runner {
  readonly engine: EngineName;
  /** The TF.js backend, or `onnxruntime-cpu` / `onnxruntime-cuda`. */
  readonly label: EngineLabel;
  /** One line for the user: engine, device, threads. */
  readonly description: string;
  readonly path: string;
  readonly metadata: ModelMetadata | undefined;
  /** The model's outputs (Caffe blob names when the metadata has them). */
  readonly outputNames: readonly string[];
  /** NCHW input shape (-1: free), when known. */
  readonly inputShape: readonly number[] | undefined;
  run(input: HostArray, outputs?: readonly string[]): Promise<Record<string, HostArray>>;
  dispose(): Promise<void>;
}

/** Opens a model folder or .onnx file on its engine. */
export async function openRunner(model: string, opts: RunnerOptions = {}): Promise<Runner> {
  if (isOnnxModelPath(model)) {
    if (opts.backend !== undefined) throw new UsageError(`--backend chooses a TF.js backend; '${model}' is an ONNX model (it runs on ONNX Runtime; use --threads)`);
    const m = await loadOnnxModel(model, { threads: opts.threads, fetch: opts.fetch });
    const threads = m.threads > 0 ? `${m.threads} thread${m.threads > 1 ? 's' : ''}` : 'default threads';
    return {
      engine: 'onnxruntime',
      label: `onnxruntime-${m.device}`,
      description: `engine onnxruntime, device ${m.device}, ${threads}`,
      path: model,
      metadata: m.metadata,
      outputNames: m.outputNames,
      inputShape: m.inputShape,
      run: (input, outputs) => m.run(input, outputs),
      dispose: () => m.dispose(),
    };
  }
  if (opts.threads !== undefined) throw new UsageError(`--threads sets ONNX Runtime's threads; '${model}' is a TF.js model (use --workers where the command has it)`);
  const info = await initBackend(opts.backend);
  const loaded = await loadModel(model);
  const outputNames = loaded.metadata?.outputNames ?? loaded.model.outputNodes;
  return {
    engine: 'tfjs',
    label: info.name,
    description: `engine tfjs, backend ${info.name}`,
    path: model,
    metadata: loaded.metadata,
    outputNames,
    inputShape: loaded.metadata?.caffeInputShape ?? loaded.model.inputs[0]?.shape,
    run: async (input, outputs) => runModel(loaded, input, { outputs: outputs ?? outputNames }),
    dispose: async () => loaded.model.dispose(),
  };
}
