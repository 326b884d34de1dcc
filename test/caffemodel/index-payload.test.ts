/**
 * indexCaffemodel + PayloadReader must give what readCaffemodel gives (the same net and values),
 * for every blob encoding: packed floats, unpacked floats, packed doubles, legacy dimensions,
 * V2 and V1 files, and must not read payloads (memory stays small) to do so.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { indexCaffemodel, PayloadReader, readCaffemodel, writeCaffemodel, writeCaffemodelV1 } from '../../src/caffemodel';
import { encodeLenHeader, encodeTag, WIRE_FIXED32, WIRE_VARINT } from '../../src/caffemodel/wire';

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const len = (field: number, body: Uint8Array): Uint8Array => concat([encodeLenHeader(field, body.length), body]);
const varint = (field: number, v: number): Uint8Array => concat([encodeTag(field, WIRE_VARINT), Uint8Array.of(v)]);
const str = (field: number, s: string): Uint8Array => len(field, new TextEncoder().encode(s));
const shape = (dims: number[]): Uint8Array => len(7, concat(dims.map((d) => varint(1, d))));

/** A hand-made V2 caffemodel with one layer per encoding. */
function handMade(): Uint8Array {
  const packed = len(5, new Uint8Array(Float32Array.of(1.5, -2, 3.25).buffer));
  const unpacked = concat([1.5, 7, -0.125].map((v) => concat([encodeTag(5, WIRE_FIXED32), new Uint8Array(Float32Array.of(v).buffer)])));
  const doubles = len(8, new Uint8Array(Float64Array.of(0.1, 1e-3).buffer));
  const layer = (name: string, blob: Uint8Array): Uint8Array => len(100, concat([str(1, name), str(2, 'Scale'), len(7, blob)]));
  return concat([
    str(1, 'hand'),
    layer('packed', concat([shape([3]), packed])),
    layer('unpacked', concat([shape([3]), unpacked])),
    layer('doubles', concat([shape([2]), doubles])),
    layer('legacy', concat([varint(1, 1), varint(2, 1), varint(3, 1), varint(4, 3), packed])),
  ]);
}

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-index-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function expectSame(file: string): void {
  const full = readCaffemodel(file);
  const index = indexCaffemodel(file);
  expect(index.net).toEqual(full.net);
  expect(index.format).toBe(full.format);
  expect(index.size).toBe(fs.statSync(file).size);
  expect(index.layers.map((l) => [l.name, l.type, l.blobs.length])).toEqual(full.layers.map((l) => [l.name, l.type, l.blobs.length]));
  const reader = new PayloadReader(file);
  try {
    index.layers.forEach((l, i) =>
      l.blobs.forEach((b, j) => {
        const want = full.layers[i].blobs[j];
        expect([b.shape, b.legacy, b.count]).toEqual([want.shape, want.legacy, want.data.length]);
        expect(Array.from(reader.readNew(b))).toEqual(Array.from(want.data));
        expect(Array.from(reader.readShared(b))).toEqual(Array.from(want.data));
      }),
    );
  } finally {
    reader.close();
  }
}

test('every blob encoding: index + payload reads equal readCaffemodel', () => {
  const file = path.join(dir, 'hand.caffemodel');
  fs.writeFileSync(file, handMade());
  const index = indexCaffemodel(file);
  expect(index.layers.map((l) => l.blobs[0].kind)).toEqual(['f32', 'f32', 'f64', 'f32']);
  expect(index.layers[1].blobs[0].chunks.length).toBe(3);
  expectSame(file);
});

test('V2 and V1 files written by writeCaffemodel', () => {
  const layers = [
    { name: 'c', type: 'Convolution', blobs: [{ shape: [4, 3, 3, 3], legacy: false, data: Float32Array.from({ length: 108 }, (_, i) => i / 7 - 3) }] },
    { name: 'r', type: 'ReLU', blobs: [] },
    { name: 'f', type: 'InnerProduct', blobs: [{ shape: [2, 5], legacy: false, data: Float32Array.from({ length: 10 }, (_, i) => -i) }, { shape: [2], legacy: false, data: Float32Array.of(1, 2) }] },
  ];
  const file = path.join(dir, 'w-V2.caffemodel');
  writeCaffemodel(file, { name: 'w', layer: layers.map((l) => ({ name: l.name, type: l.type })) }, layers);
  expectSame(file);
  const v1 = path.join(dir, 'w-V1.caffemodel');
  const v1Types: Record<string, string> = { Convolution: 'CONVOLUTION', ReLU: 'RELU', InnerProduct: 'INNER_PRODUCT' };
  writeCaffemodelV1(v1, { name: 'w', layers: layers.map((l) => ({ name: l.name, type: v1Types[l.type] as 'RELU' })) }, layers);
  expectSame(v1);
});

test('a truncated payload is an input error naming the file', () => {
  const file = path.join(dir, 'cut.caffemodel');
  const bytes = handMade();
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 5));
  expect(() => indexCaffemodel(file)).toThrow(/cut\.caffemodel/);
});
