/**
 * Worker-thread side of the pool: its own tfjs-core instance, backend and model. Receives
 * inputs, runs them, returns the results (buffers are transferred, not copied).
 */
import { parentPort, workerData } from 'worker_threads';
import { SenetError } from '../errors';
import { BackendName, initBackend } from './backend';
import { loadModel } from './load';
import { HostArray, runModel } from './run';

export interface PoolWorkerData {
  modelDir: string;
  backend?: BackendName;
}

export type PoolRequest = { id: number; input: HostArray; outputs?: string[] };

export type PoolReply =
  | { type: 'ready'; backend: BackendName }
  | { type: 'result'; id: number; result: Record<string, HostArray> }
  | { type: 'error'; id: number | undefined; message: string; userError: boolean };

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  const data = workerData as PoolWorkerData;
  const fail = (id: number | undefined, e: unknown): void => {
    const reply: PoolReply = {
      type: 'error', id, message: e instanceof Error ? e.message : String(e), userError: e instanceof SenetError,
    };
    port.postMessage(reply);
  };
  let loaded: Awaited<ReturnType<typeof loadModel>>;
  try {
    const info = await initBackend(data.backend);
    loaded = await loadModel(data.modelDir);
    const ready: PoolReply = { type: 'ready', backend: info.name };
    port.postMessage(ready);
  } catch (e) {
    fail(undefined, e);
    return;
  }
  port.on('message', (req: PoolRequest) => {
    try {
      const result = runModel(loaded, req.input, { outputs: req.outputs });
      const reply: PoolReply = { type: 'result', id: req.id, result };
      port.postMessage(reply, Object.values(result).map((r) => r.data.buffer as ArrayBuffer));
    } catch (e) {
      fail(req.id, e);
    }
  });
}

void main();
