/**
 * @jest-environment ./test/helpers/onnx-environment.js
 */
/**
 * The ONNX writer and reader of our own (src/onnx): weights are produced only while the file is
 * written (streamed), the file is what ONNX Runtime loads, metadata_props read back in order,
 * extra graph outputs appended at load time, atomic writes, and readable errors for files that
 * are not ONNX models.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { InputFileError } from '../../src/errors';
import { int, ints, onnxBytesWithOutputs, OnnxGraph, readOnnxMetadata, writeOnnxModel } from '../../src/onnx';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-writer-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** conv (2 -> 3 channels, 3x3, pad 1) -> relu -> flatten; the weights from a WeightSource. */
function smallGraph(onWrite: () => void, fail = false): OnnxGraph {
  const g = new OnnxGraph('small');
  g.input('data', ['N', 2, 4, 4]);
  const w = g.floatConst('w', {
    length: 3 * 2 * 9,
    writeInto: (out: Float32Array) => {
      onWrite();
      if (fail) throw new Error('the caffemodel went away');
      for (let i = 0; i < out.length; i++) out[i] = ((i % 7) - 3) / 10;
    },
  }, [3, 2, 3, 3]);
  const b = g.floatConst('b', [0.5, -0.25, 0.125], [3]);
  g.op('Conv', ['data', w, b], 'conv', { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]), group: int(1) });
  g.op('Relu', ['conv'], 'relu');
  g.op('Reshape', ['relu', g.int64Const('shape', [-1, 48])], 'flat');
  g.output('flat', ['N', 48]);
  return g;
}

/** The same conv in plain loops (NCHW, zero padding). */
function convReference(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * 48);
  const w = (o: number, c: number, ky: number, kx: number): number => (((((o * 2 + c) * 3 + ky) * 3 + kx) % 7) - 3) / 10;
  const bias = [0.5, -0.25, 0.125];
  for (let b = 0; b < n; b++) for (let o = 0; o < 3; o++) for (let y = 0; y < 4; y++) for (let xx = 0; xx < 4; xx++) {
    let s = bias[o];
    for (let c = 0; c < 2; c++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const iy = y + ky - 1;
      const ix = xx + kx - 1;
      if (iy >= 0 && iy < 4 && ix >= 0 && ix < 4) s += w(o, c, ky, kx) * x[((b * 2 + c) * 4 + iy) * 4 + ix];
    }
    out[((b * 3 + o) * 4 + y) * 4 + xx] = Math.max(0, s);
  }
  return out;
}

describe('ONNX writer', () => {
  it('streams the weights at write time; ONNX Runtime computes the graph; metadata reads back in order', async () => {
    let produced = 0;
    const g = smallGraph(() => produced++);
    expect(produced).toBe(0);
    const file = path.join(tmp, 'small.onnx');
    const { bytes } = writeOnnxModel(file, g, { metadata: [['senet_metadata', '{"x":1}'], ['mean', '104,117,123'], ['class_order', 'senet']] });
    expect(produced).toBe(1);
    expect(fs.statSync(file).size).toBe(bytes);
    expect([...readOnnxMetadata(file)]).toEqual([['senet_metadata', '{"x":1}'], ['mean', '104,117,123'], ['class_order', 'senet']]);
    // Only the model file is left in the folder (the temp file was renamed).
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.'))).toEqual([]);

    const s = await ort.InferenceSession.create(onnxBytesWithOutputs(file, ['conv']));
    expect(s.inputNames).toEqual(['data']);
    expect(s.outputNames).toEqual(['flat', 'conv']);
    const x = Float32Array.from({ length: 2 * 32 }, (_, i) => Math.sin(i * 0.7));
    const r = await s.run({ data: new ort.Tensor('float32', x, [2, 2, 4, 4]) });
    expect(r.flat.dims).toEqual([2, 48]);
    expect(r.conv.dims).toEqual([2, 3, 4, 4]);
    const want = convReference(x, 2);
    const got = r.flat.data as Float32Array;
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
    expect(err).toBeLessThan(1e-5);
    await s.release();
  });

  it('a failure while writing leaves no file behind and an existing file intact', () => {
    const file = path.join(tmp, 'keep.onnx');
    fs.writeFileSync(file, 'old contents');
    expect(() => writeOnnxModel(file, smallGraph(() => undefined, true))).toThrow('the caffemodel went away');
    expect(fs.readFileSync(file, 'utf8')).toBe('old contents');
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('refuses files that are not ONNX models with a readable error', () => {
    const junk = path.join(tmp, 'junk.onnx');
    fs.writeFileSync(junk, 'this is not protobuf at all, just text');
    expect(() => readOnnxMetadata(junk)).toThrow(InputFileError);
    expect(() => readOnnxMetadata(junk)).toThrow(/junk\.onnx.*not an ONNX model/);
    const truncated = path.join(tmp, 'truncated.onnx');
    writeOnnxModel(truncated, smallGraph(() => undefined));
    fs.truncateSync(truncated, fs.statSync(truncated).size - 40);
    expect(() => readOnnxMetadata(truncated)).toThrow(/truncated/);
    expect(() => readOnnxMetadata(path.join(tmp, 'missing.onnx'))).toThrow(/missing\.onnx: cannot read: no such file or folder \(ENOENT\)/);
  });
});
