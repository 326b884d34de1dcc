import { spawnSync } from 'child_process';
import * as path from 'path';
import { SenetError } from '../../src/errors';
import { BackendUnavailableError, initBackend, ModuleLoader } from '../../src/runtime/backend';

const realLoader: ModuleLoader = (id) => require(id);
const without = (...missing: string[]): ModuleLoader => (id) => {
  if (missing.includes(id)) throw new Error(`Cannot find module '${id}'\nRequire stack: ...`);
  return realLoader(id);
};

/**
 * Whether a native package works here, found independently of initBackend: a fresh Node process
 * loads it and asks tfjs-core which backend it ends up on.
 */
function nativeWorks(id: string): boolean {
  const script = `const tf = require('@tensorflow/tfjs-core'); require(${JSON.stringify(id)}); tf.ready().then(() => process.exit(tf.getBackend() === 'tensorflow' ? 0 : 3), () => process.exit(4));`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: path.resolve(__dirname, '..', '..'), encoding: 'utf8', timeout: 60000 });
  return r.status === 0;
}

describe('initBackend', () => {
  test('falls back tfjs-node-gpu -> tfjs-node -> wasm when the native packages are absent', async () => {
    const info = await initBackend(undefined, { loader: without('@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node') });
    expect(info.name).toBe('wasm');
    expect(info.tf.getBackend()).toBe('wasm');
    expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(info.skipped[1].reason).toBe("cannot load @tensorflow/tfjs-node (Cannot find module '@tensorflow/tfjs-node')");
    const x = info.tf.tensor([1, 2, 3]);
    expect(Array.from(info.tf.mul(x, 2).dataSync())).toEqual([2, 4, 6]);
  });

  test('with the real installation: the first available backend, computing correctly', async () => {
    const gpu = nativeWorks('@tensorflow/tfjs-node-gpu');
    const cpu = !gpu && nativeWorks('@tensorflow/tfjs-node');
    const expected = gpu ? 'tensorflow-gpu' : cpu ? 'tensorflow' : 'wasm';
    const info = await initBackend();
    expect(info.name).toBe(expected);
    expect(info.tf.getBackend()).toBe(expected === 'tensorflow-gpu' ? 'tensorflow' : expected);
    expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm'].slice(0, ['tensorflow-gpu', 'tensorflow', 'wasm'].indexOf(expected)));
    // A product computed by hand: [[1, 2, 3], [4, 5, 6]] x [[1, -1], [0.5, 2], [-2, 0.25]].
    const a = info.tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = info.tf.tensor2d([1, -1, 0.5, 2, -2, 0.25], [3, 2]);
    expect(Array.from(info.tf.matMul(a, b).dataSync())).toEqual([-4, 3.75, -5.5, 7.5]);
  });

  test('wasm unavailable -> cpu', async () => {
    const info = await initBackend(undefined, {
      loader: without('@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm'),
    });
    expect(info.name).toBe('cpu');
    expect(info.tf.getBackend()).toBe('cpu');
    expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm']);
  });

  test('a forced backend that is unavailable is a clear SenetError', async () => {
    const p = initBackend('tensorflow', { loader: without('@tensorflow/tfjs-node') });
    await expect(p).rejects.toThrow(BackendUnavailableError);
    await expect(initBackend('tensorflow', { loader: without('@tensorflow/tfjs-node') })).rejects.toThrow(
      "backend 'tensorflow' is not available: cannot load @tensorflow/tfjs-node (Cannot find module '@tensorflow/tfjs-node')",
    );
    // A package that loads but registers nothing on our tfjs-core (a second tfjs-core instance).
    await expect(initBackend('tensorflow-gpu', { loader: (id) => (id === '@tensorflow/tfjs-node-gpu' ? {} : realLoader(id)) })).rejects.toThrow(
      /registered no 'tensorflow' backend on this @tensorflow\/tfjs-core/,
    );
    await expect(initBackend('bogus' as never)).rejects.toThrow(SenetError);
  });

  test('forcing wasm and cpu switches the active backend', async () => {
    expect((await initBackend('cpu')).tf.getBackend()).toBe('cpu');
    expect((await initBackend('wasm')).tf.getBackend()).toBe('wasm');
  });
});
