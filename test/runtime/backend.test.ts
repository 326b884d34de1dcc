import { SenetError } from '../../src/errors';
import { BackendUnavailableError, initBackend, ModuleLoader } from '../../src/runtime/backend';

const realLoader: ModuleLoader = (id) => require(id);
const without = (...missing: string[]): ModuleLoader => (id) => {
  if (missing.includes(id)) throw new Error(`Cannot find module '${id}'\nRequire stack: ...`);
  return realLoader(id);
};

function resolvable(id: string): boolean {
  try {
    require.resolve(id);
    return true;
  } catch {
    return false;
  }
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

  test('with the real installation: the first available backend', async () => {
    const info = await initBackend();
    const expected = resolvable('@tensorflow/tfjs-node-gpu') || resolvable('@tensorflow/tfjs-node') ? info.name : 'wasm';
    expect(info.name).toBe(expected);
    expect(info.tf.getBackend()).toBe(info.name === 'tensorflow-gpu' ? 'tensorflow' : info.name);
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
