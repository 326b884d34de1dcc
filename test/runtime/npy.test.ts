import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { zipSync } from 'fflate';
import { InputFileError } from '../../src/errors';
import { encodeNpy, parseNpy, readNpy, readNpz, writeNpy, writeNpz, toFloat32 } from '../../src/runtime/npy';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-npy-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function header(bytes: Uint8Array): string {
  const len = bytes[8] | (bytes[9] << 8);
  return Buffer.from(bytes.subarray(10, 10 + len)).toString('latin1');
}

function rawNpy(descr: string, shape: string, payload: Uint8Array, fortran = 'False'): Uint8Array {
  let h = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + h.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]);
  out.set(Buffer.from(h, 'latin1'), 10);
  out.set(payload, 10 + h.length);
  return out;
}

describe('.npy', () => {
  test('round trips float32/float64/int32/int64/uint8 with C-order shapes', () => {
    const cases = [
      { data: Float32Array.from([1.5, -2, 3e-8, Infinity, NaN, 0]), shape: [2, 3] },
      { data: Float64Array.from([Math.PI, -1e300]), shape: [2] },
      { data: Int32Array.from([1, -2, 2147483647, -2147483648]), shape: [2, 1, 2] },
      { data: BigInt64Array.from([1n, -(2n ** 62n)]), shape: [2] },
      { data: Uint8Array.from([0, 255, 7]), shape: [3] },
      { data: Float32Array.from([42]), shape: [] },
    ];
    for (const c of cases) {
      const file = path.join(tmp, 'a.npy');
      writeNpy(file, c);
      const bytes = fs.readFileSync(file);
      expect((10 + (bytes[8] | (bytes[9] << 8))) % 64).toBe(0);
      const back = readNpy(file);
      expect(back.shape).toEqual(c.shape);
      expect(back.data.constructor).toBe(c.data.constructor);
      expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(c.data as ArrayLike<unknown>));
    }
    expect(header(encodeNpy({ data: new Float32Array(3), shape: [3] }))).toContain("'descr': '<f4', 'fortran_order': False, 'shape': (3,)");
  });

  test('big-endian input is byte-swapped', () => {
    const payload = Buffer.alloc(8);
    payload.writeFloatBE(1.25, 0);
    payload.writeFloatBE(-3, 4);
    const a = parseNpy(rawNpy('>f4', '(2,)', payload));
    expect(Array.from(a.data as Float32Array)).toEqual([1.25, -3]);
  });

  test('clear errors', () => {
    expect(() => parseNpy(rawNpy('<f4', '(2, 2)', new Uint8Array(16), 'True'), 'x.npy')).toThrow('x.npy: Fortran-order arrays are not supported');
    expect(() => parseNpy(rawNpy('<c8', '(1,)', new Uint8Array(8)), 'c.npy')).toThrow(/c.npy: unsupported dtype '<c8'/);
    expect(() => parseNpy(rawNpy('<U3', '(1,)', new Uint8Array(12)), 'u.npy')).toThrow(/unsupported dtype '<U3'/);
    expect(() => parseNpy(rawNpy('<f4', '(4,)', new Uint8Array(8)), 't.npy')).toThrow(/truncated data/);
    expect(() => parseNpy(Buffer.from('hello world!'), 'h.npy')).toThrow(InputFileError);
    expect(() => readNpy(path.join(tmp, 'missing.npy'))).toThrow(/missing.npy: cannot read: no such file or folder \(ENOENT\)/);
  });

  test('.npz round trip (stored and deflated) and errors', () => {
    const arrays = { a: { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] }, b: { data: Int32Array.from([5]), shape: [1] } };
    for (const compress of [false, true]) {
      const file = path.join(tmp, `z${compress}.npz`);
      writeNpz(file, arrays, { compress });
      const back = readNpz(file);
      expect(Object.keys(back).sort()).toEqual(['a', 'b']);
      expect(back.a.shape).toEqual([2, 2]);
      expect(Array.from(toFloat32(back.a))).toEqual([1, 2, 3, 4]);
      expect(Array.from(back.b.data as Int32Array)).toEqual([5]);
    }
    const bad = path.join(tmp, 'bad.npz');
    fs.writeFileSync(bad, zipSync({ 'x.npy': rawNpy('<c16', '(1,)', new Uint8Array(16)) }));
    expect(() => readNpz(bad)).toThrow(/bad.npz:x.npy: unsupported dtype/);
    fs.writeFileSync(bad, 'not a zip');
    expect(() => readNpz(bad)).toThrow(/not a valid .npz/);
  });

  const numpyAvailable = ((): boolean => {
    try {
      execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const numpyTest = numpyAvailable ? test : test.skip;
  if (!numpyAvailable) console.warn('[skip] numpy interop: python3 with numpy is not available');

  numpyTest('interop with files written and read by numpy', () => {
    const py = `
import numpy as np, sys
d = sys.argv[1]
np.save(d + '/f32.npy', (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 7.5) / 3)
np.save(d + '/f64be.npy', np.array([[1.5, -2.25]], dtype='>f8'))
np.save(d + '/i64.npy', np.array([-3, 2**40], dtype=np.int64))
np.save(d + '/fort.npy', np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
np.savez_compressed(d + '/z.npz', a=np.eye(3, dtype=np.float32), b=np.arange(4, dtype=np.int32))
a = np.load(d + '/ours.npy'); z = np.load(d + '/ours.npz')
assert a.dtype == np.float32 and a.shape == (2, 2, 3) and a.flags['C_CONTIGUOUS'], (a.dtype, a.shape)
assert (a.ravel() == np.arange(12, dtype=np.float32) * 0.5).all()
assert z['q'].dtype == np.int32 and z['q'].tolist() == [[1, 2], [3, 4]]
print('ok')
`;
    writeNpy(path.join(tmp, 'ours.npy'), { data: Float32Array.from({ length: 12 }, (_, i) => i * 0.5), shape: [2, 2, 3] });
    writeNpz(path.join(tmp, 'ours.npz'), { q: { data: Int32Array.from([1, 2, 3, 4]), shape: [2, 2] } }, { compress: true });
    expect(execFileSync('python3', ['-c', py, tmp]).toString().trim()).toBe('ok');
    const f = readNpy(path.join(tmp, 'f32.npy'));
    expect(f.shape).toEqual([2, 3, 4]);
    expect(Array.from(f.data as Float32Array)).toEqual(Array.from({ length: 24 }, (_, i) => Math.fround((i - 7.5) / 3)));
    expect(Array.from(readNpy(path.join(tmp, 'f64be.npy')).data as Float64Array)).toEqual([1.5, -2.25]);
    expect(Array.from(readNpy(path.join(tmp, 'i64.npy')).data as BigInt64Array)).toEqual([-3n, 2n ** 40n]);
    expect(() => readNpy(path.join(tmp, 'fort.npy'))).toThrow(/Fortran-order/);
    const z = readNpz(path.join(tmp, 'z.npz'));
    expect(Array.from(z.a.data as Float32Array)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(z.b.data as Int32Array)).toEqual([0, 1, 2, 3]);
  });
});
