/**
 * Backend selection. Order of preference: @tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node
 * (optional dependencies whose native install may fail), @tensorflow/tfjs-backend-wasm, cpu.
 *
 * Assumption: tfjs-node(-gpu) registers its backend on *its* @tensorflow/tfjs-core. That is the
 * instance this package imports only when npm dedupes them, i.e. when all @tensorflow packages
 * are the same version (4.22 here). We check it after loading and refuse a split install
 * instead of silently running on another instance.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { SenetError } from '../errors';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export type TfCore = typeof tf;

export interface BackendInfo {
  /** The backend in use (ours: 'tensorflow-gpu' when tfjs-node-gpu provides 'tensorflow'). */
  name: BackendName;
  tf: TfCore;
  /** Backends tried before this one, with why they were skipped. */
  skipped: { name: BackendName; reason: string }[];
}

/** A requested backend cannot be used. */
export class BackendUnavailableError extends SenetError {
  constructor(readonly backend: string, readonly reason: string) {
    super(`backend '${backend}' is not available: ${reason}`);
  }
}

/** How packages are loaded; injectable so tests can simulate a missing package. */
export type ModuleLoader = (id: string) => unknown;

const defaultLoader: ModuleLoader = (id) => require(id);

export interface InitBackendOptions {
  loader?: ModuleLoader;
}

const PACKAGE: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** tfjs's registry name of each of ours. */
const TF_NAME: Record<BackendName, string> = { 'tensorflow-gpu': 'tensorflow', tensorflow: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

let current: BackendName | undefined;

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}

interface WasmModule {
  setWasmPaths(prefix: string): void;
}

function isWasmModule(m: unknown): m is WasmModule {
  return typeof m === 'object' && m !== null && typeof (m as { setWasmPaths?: unknown }).setWasmPaths === 'function';
}

let wasmPathsSet = false;

async function tryBackend(name: BackendName, loader: ModuleLoader): Promise<void> {
  let mod: unknown;
  try {
    mod = loader(PACKAGE[name]);
  } catch (e) {
    throw new BackendUnavailableError(name, `cannot load ${PACKAGE[name]} (${firstLine(e)})`);
  }
  const tfName = TF_NAME[name];
  if (tf.findBackendFactory(tfName) == null) {
    throw new BackendUnavailableError(
      name,
      `${PACKAGE[name]} registered no '${tfName}' backend on this @tensorflow/tfjs-core; ` +
        'all @tensorflow packages must be the same version so npm installs one tfjs-core',
    );
  }
  if (name === 'wasm' && !wasmPathsSet) {
    if (!isWasmModule(mod)) throw new BackendUnavailableError(name, `${PACKAGE.wasm} has no setWasmPaths`);
    // In Node the .wasm binaries are read from the installed package's dist folder.
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    mod.setWasmPaths(dist + path.sep);
    wasmPathsSet = true;
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfName);
    await tf.ready();
  } catch (e) {
    throw new BackendUnavailableError(name, `initialisation failed (${firstLine(e)})`);
  }
  // setBackend reports failure by returning false and tfjs may fall back silently: check.
  if (!ok || tf.getBackend() !== tfName) {
    throw new BackendUnavailableError(name, `initialisation failed (tfjs is on '${tf.getBackend()}')`);
  }
}

/**
 * Selects and initialises a backend. With `preferred`, exactly that one (or a
 * BackendUnavailableError); without, the first that works in BACKEND_ORDER.
 */
export async function initBackend(preferred?: BackendName, opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const loader = opts.loader ?? defaultLoader;
  tf.enableProdMode(); // no "install tfjs-node" banners or debug checks in CLI output
  if (preferred !== undefined) {
    if (!BACKEND_ORDER.includes(preferred)) {
      throw new BackendUnavailableError(preferred, `unknown backend (choose one of ${BACKEND_ORDER.join(', ')})`);
    }
    if (current === preferred && tf.getBackend() === TF_NAME[preferred]) return { name: preferred, tf, skipped: [] };
    await tryBackend(preferred, loader);
    current = preferred;
    return { name: preferred, tf, skipped: [] };
  }
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const name of BACKEND_ORDER) {
    try {
      await tryBackend(name, loader);
      current = name;
      return { name, tf, skipped };
    } catch (e) {
      if (!(e instanceof BackendUnavailableError)) throw e;
      skipped.push({ name, reason: e.reason });
    }
  }
  throw new BackendUnavailableError('any', skipped.map((s) => `${s.name}: ${s.reason}`).join('; '));
}
