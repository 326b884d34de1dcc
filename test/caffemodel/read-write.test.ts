import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  BlobData,
  LayerWeights,
  readBinaryproto,
  readBlobProtoVector,
  readCaffemodel,
  writeBinaryproto,
  writeCaffemodel,
} from '../../src/caffemodel';
import { putVarint } from '../../src/caffemodel/wire';
import { InputFileError, WeightsError } from '../../src/errors';
import { caffeType, encodeMessage } from '../../src/schema';
import { describeShared, sharedPath } from '../helpers/shared';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'caffemodel');
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'caffemodel-test-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Deterministic pseudo-random floats (not all representable as short decimals). */
function floats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32 - 0.5) * 3.7;
  }
  return out;
}

function bits(a: Float32Array | number[]): number[] {
  const f = a instanceof Float32Array ? a : Float32Array.from(a);
  return Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));
}

/** Bitwise equality of two float arrays (fast enough for 10^6 values). */
function sameBits(a: Float32Array, b: Float32Array | number[]): boolean {
  const f = b instanceof Float32Array ? b : Float32Array.from(b);
  return a.length === f.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(f.buffer, f.byteOffset, f.byteLength)) === 0;
}

function sameBytes(a: string, b: string): boolean {
  return Buffer.compare(fs.readFileSync(a), fs.readFileSync(b)) === 0;
}

interface DecodedBlob {
  data?: number[];
  shape?: { dim?: number[] };
  num?: number;
  channels?: number;
  height?: number;
  width?: number;
}

/** Every blob of the file decoded by protobufjs in full (the slow, obviously right way). */
function fullDecodeBlobs(file: string): DecodedBlob[][] {
  const t = caffeType('NetParameter');
  const net = t.toObject(t.decode(fs.readFileSync(file)), { longs: Number, enums: String }) as {
    layer?: Array<{ blobs?: DecodedBlob[] }>;
    layers?: Array<{ blobs?: DecodedBlob[] }>;
  };
  return (net.layer ?? net.layers ?? []).map((l) => l.blobs ?? []);
}

function expectSameAsFullDecode(file: string): void {
  const model = readCaffemodel(file);
  const ref = fullDecodeBlobs(file);
  expect(model.layers.map((l) => l.blobs.length)).toEqual(ref.map((b) => b.length));
  model.layers.forEach((l, i) =>
    l.blobs.forEach((b, j) => {
      const r = ref[i][j];
      expect(b.data).toBeInstanceOf(Float32Array);
      expect(sameBits(b.data, r.data ?? [])).toBe(true);
      const legacy = r.num !== undefined || r.channels !== undefined || r.height !== undefined || r.width !== undefined;
      expect(b.legacy).toBe(legacy);
      expect(b.shape).toEqual(legacy ? [r.num ?? 0, r.channels ?? 0, r.height ?? 0, r.width ?? 0] : (r.shape?.dim ?? []));
    }),
  );
}

function shapes(l: LayerWeights): string[] {
  return l.blobs.map((b) => b.shape.join('x'));
}

describe('tiny.caffemodel (made by real Caffe)', () => {
  const file = path.join(FIXTURES, 'tiny.caffemodel');

  it('has the layers, types and blob shapes of tiny.prototxt', () => {
    const m = readCaffemodel(file);
    expect(m.format).toBe('V2');
    expect(m.net.name).toBe('tiny');
    expect(m.layers.map((l) => `${l.name}:${l.type}:${shapes(l).join(',')}`)).toEqual([
      'data:Input:',
      'conv1:Convolution:5x3x3x3,5',
      'conv1/bn:BatchNorm:5,5,1',
      'conv1/scale:Scale:5,5',
      'relu1:ReLU:',
      'dw:Convolution:5x1x3x3',
      'fc:InnerProduct:3x20,3',
      'prob:Softmax:',
    ]);
    // The net keeps every other field, and no blobs.
    const conv = m.net.layer?.[1];
    expect(conv?.convolution_param).toEqual({ num_output: 5, kernel_size: [3], stride: [2], pad: [1] });
    expect(conv?.blobs).toBeUndefined();
    expect(m.layers[2].blobs[2].data[0]).toBe(1); // BatchNorm scale factor written by the oracle
  });

  it('equals a full protobufjs decode bit for bit', () => expectSameAsFullDecode(file));

  it('is rewritten byte for byte', () => {
    const m = readCaffemodel(file);
    const out = path.join(tmp, 'tiny-rt.caffemodel');
    writeCaffemodel(out, m.net, m.layers.filter((l) => l.blobs.length > 0));
    expect(sameBytes(file, out)).toBe(true);
  });

  it('reads a buffer without modifying it, with the same values', () => {
    const buf = fs.readFileSync(file);
    const copy = Buffer.from(buf);
    const fromBuf = readCaffemodel(buf);
    expect(Buffer.compare(buf, copy)).toBe(0);
    const fromFile = readCaffemodel(file);
    expect(fromBuf.layers.map((l) => l.blobs.map((b) => bits(b.data)))).toEqual(
      fromFile.layers.map((l) => l.blobs.map((b) => bits(b.data))),
    );
    // Views stay aligned whatever the payload offsets are.
    for (const l of fromFile.layers) for (const b of l.blobs) expect(b.data.byteOffset % 4).toBe(0);
  });

  it('fails on every truncation inside a blob with the byte offset and the blob', () => {
    const buf = fs.readFileSync(file);
    const full = readCaffemodel(file).layers.reduce((a, l) => a + l.blobs.length, 0);
    let errors = 0;
    for (let cut = 1; cut < buf.length; cut++) {
      try {
        // A cut exactly between top-level fields is a valid, shorter NetParameter.
        const m = readCaffemodel(buf.subarray(0, cut));
        expect(m.layers.reduce((a, l) => a + l.blobs.length, 0)).toBeLessThanOrEqual(full);
      } catch (e) {
        expect(e).toBeInstanceOf(InputFileError);
        expect((e as Error).message).toMatch(/^<buffer>: corrupt or truncated protobuf at byte \d+ while reading /);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(buf.length - 20);
    // A cut in the middle of conv1's weights names the layer, the blob and an offset.
    const m = readCaffemodel(file);
    const conv1 = m.layers[1].blobs[0].data;
    const mid = conv1.byteOffset + 40;
    fs.writeFileSync(path.join(tmp, 'mid.caffemodel'), buf.subarray(0, mid));
    expect(() => readCaffemodel(path.join(tmp, 'mid.caffemodel'))).toThrow(
      /mid\.caffemodel: corrupt or truncated protobuf at byte 43 while reading layer #1: LayerParameter claims \d+ bytes but only \d+ remain/,
    );
  });
});

describe('errors users can cause', () => {
  it('garbage gives an InputFileError with an offset', () => {
    const g = Buffer.from(floats(1024, 99).buffer);
    const p = path.join(tmp, 'garbage.caffemodel');
    fs.writeFileSync(p, g);
    expect(() => readCaffemodel(p)).toThrow(InputFileError);
    expect(() => readCaffemodel(p)).toThrow(/garbage\.caffemodel: .*(byte \d+|cannot decode)/);
  });

  it('a prototxt gives a hint', () => {
    expect(() => readCaffemodel(path.join(FIXTURES, 'tiny.prototxt'))).toThrow(
      /tiny\.prototxt: is a text file \(a prototxt\?\), expected a binary caffemodel/,
    );
  });

  it('empty, missing and directory inputs', () => {
    const p = path.join(tmp, 'empty.caffemodel');
    fs.writeFileSync(p, '');
    expect(() => readCaffemodel(p)).toThrow(/empty\.caffemodel: is empty/);
    expect(() => readCaffemodel(path.join(tmp, 'nope.caffemodel'))).toThrow(/cannot read: no such file or folder \(ENOENT\)/);
    expect(() => readCaffemodel(tmp)).toThrow(InputFileError);
  });

  it('a blob whose data does not fill its shape', () => {
    const blob = encodeMessage('BlobProto', { shape: { dim: [2, 3] }, data: [1, 2, 3] });
    const layer = encodeMessage('LayerParameter', { name: 'c', type: 'Convolution', blobs: [{ shape: { dim: [2, 3] }, data: [1, 2, 3] }] });
    expect(blob.length).toBeGreaterThan(0);
    const net = Buffer.concat([Buffer.from([0xa2, 0x06, layer.length]), Buffer.from(layer)]);
    expect(() => readCaffemodel(net)).toThrow(/layer #0 'c' blob 0: shape \[2, 3\] holds 6 values but the blob stores 3/);
  });
});

describe('write and read back', () => {
  /** Blobs of many sizes so payloads land at every offset mod 4. */
  function sampleWeights(): LayerWeights[] {
    const layers: LayerWeights[] = [];
    for (let i = 0; i < 12; i++) {
      const shape = [i + 1, (i % 3) + 1, 3, 3];
      const count = shape.reduce((a, b) => a * b, 1);
      layers.push({
        name: `conv${i}`,
        type: 'Convolution',
        blobs: [
          { shape, legacy: false, data: floats(count, i + 1) },
          { shape: [i + 1], legacy: false, data: floats(i + 1, 100 + i) },
        ],
      });
    }
    layers.push({ name: 'scalar', type: 'Parameter', blobs: [{ shape: [], legacy: false, data: Float32Array.of(2.5) }] });
    layers.push({ name: 'old', type: 'InnerProduct', blobs: [{ shape: [1, 1, 4, 6], legacy: true, data: floats(24, 7) }] });
    layers.push({ name: 'big', type: 'InnerProduct', blobs: [{ shape: [1000, 33], legacy: false, data: floats(33000, 5) }] });
    return layers;
  }

  it('V2 round trip keeps names, params, shapes, legacy flags and every bit', () => {
    const weights = sampleWeights();
    const net = {
      name: 'synthetic',
      layer: [
        { name: 'data', type: 'Input', top: ['data'] },
        ...weights.map((w) => ({ name: w.name, type: w.type, bottom: ['data'], top: [w.name], param: [{ lr_mult: 1 }] })),
      ],
    };
    const out = path.join(tmp, 'syn.caffemodel');
    writeCaffemodel(out, net, weights);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
    for (const m of [readCaffemodel(out), readCaffemodel(fs.readFileSync(out))]) {
      expect(m.format).toBe('V2');
      expect(m.net.layer?.map((l) => l.name)).toEqual(net.layer.map((l) => l.name));
      expect(m.net.layer?.[1].param).toEqual([{ lr_mult: 1 }]);
      const got = m.layers.filter((l) => l.blobs.length > 0);
      expect(got.map((l) => l.name)).toEqual(weights.map((w) => w.name));
      got.forEach((l, i) =>
        l.blobs.forEach((b, j) => {
          expect(b.shape).toEqual(weights[i].blobs[j].shape);
          expect(b.legacy).toBe(weights[i].blobs[j].legacy);
          expect(bits(b.data)).toEqual(bits(weights[i].blobs[j].data));
        }),
      );
    }
    expectSameAsFullDecode(out);
    // Writing what we read gives the same file.
    const again = path.join(tmp, 'syn2.caffemodel');
    const m = readCaffemodel(out);
    writeCaffemodel(again, m.net, m.layers.filter((l) => l.blobs.length > 0));
    expect(sameBytes(out, again)).toBe(true);
  });

  it('V1 files (layers, enum types) round trip', () => {
    const weights = sampleWeights().slice(0, 3);
    const net = { name: 'v1', layers: weights.map((w) => ({ name: w.name, type: 'CONVOLUTION' as const, bottom: ['data'], top: [w.name] })) };
    const out = path.join(tmp, 'v1.caffemodel');
    writeCaffemodel(out, net, weights, { format: 'V1' });
    const m = readCaffemodel(out);
    expect(m.format).toBe('V1');
    expect(m.net.layers?.map((l) => l.type)).toEqual(['CONVOLUTION', 'CONVOLUTION', 'CONVOLUTION']);
    expect(m.layers.map((l) => l.type)).toEqual(['Convolution', 'Convolution', 'Convolution']);
    expect(bits(m.layers[2].blobs[0].data)).toEqual(bits(weights[2].blobs[0].data));
    expectSameAsFullDecode(out);
  });

  it('reads V0 nested layers, double_data and unpacked floats', () => {
    const d = [0.1, -2.5, 3.25];
    // Unpacked repeated float: tag (5 << 3 | 5) per value.
    const unpacked: number[] = [];
    const dv = new DataView(new ArrayBuffer(4));
    for (const v of [1.5, -7]) {
      dv.setFloat32(0, v, true);
      unpacked.push(0x2d, ...new Uint8Array(dv.buffer));
    }
    const shape = encodeMessage('BlobShape', { dim: [2] });
    const unpackedBlob = Uint8Array.from([...unpacked, 0x3a, shape.length, ...shape]);
    const v1 = encodeMessage('V1LayerParameter', {
      layer: { name: 'old', type: 'innerproduct', num_output: 3, blobs: [{ shape: { dim: [3] }, double_data: d }] },
    });
    // A V1 layer whose blob is hand-encoded with unpacked floats.
    const v1b = Buffer.concat([Buffer.from(encodeMessage('V1LayerParameter', { name: 'u', type: 'INNER_PRODUCT' })), Buffer.from([0x32, unpackedBlob.length]), Buffer.from(unpackedBlob)]);
    const netBytes = Buffer.concat([
      Buffer.from([0x12, v1.length]),
      Buffer.from(v1),
      Buffer.from([0x12, v1b.length]),
      v1b,
    ]);
    const p = path.join(tmp, 'v0.caffemodel');
    fs.writeFileSync(p, netBytes);
    const m = readCaffemodel(p);
    expect(m.format).toBe('V0');
    expect(m.layers[0]).toMatchObject({ name: 'old', type: 'InnerProduct' });
    expect(Array.from(m.layers[0].blobs[0].data)).toEqual(Array.from(Float32Array.from(d)));
    expect(m.net.layers?.[0].layer).toEqual({ name: 'old', type: 'innerproduct', num_output: 3 });
    expect(m.layers[1]).toMatchObject({ name: 'u', type: 'InnerProduct' });
    expect(Array.from(m.layers[1].blobs[0].data)).toEqual([1.5, -7]);
  });

  it('refuses weights that do not fit', () => {
    const net = { layer: [{ name: 'a', type: 'Convolution' }] };
    const bad: BlobData = { shape: [2, 2], legacy: false, data: new Float32Array(3) };
    expect(() => writeCaffemodel(path.join(tmp, 'x.caffemodel'), net, [{ name: 'a', type: 'Convolution', blobs: [bad] }])).toThrow(
      WeightsError,
    );
    expect(() => writeCaffemodel(path.join(tmp, 'x.caffemodel'), net, [{ name: 'zz', type: 'Convolution', blobs: [] }])).toThrow(
      /layer 'zz': has weights but is not a layer of the net/,
    );
    expect(fs.existsSync(path.join(tmp, 'x.caffemodel'))).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('binaryproto and BlobProtoVector', () => {
    const mean: BlobData = { shape: [1, 3, 4, 5], legacy: true, data: floats(60, 3) };
    const p = path.join(tmp, 'mean.binaryproto');
    writeBinaryproto(p, mean);
    const back = readBinaryproto(p);
    expect(back.shape).toEqual([1, 3, 4, 5]);
    expect(back.legacy).toBe(true);
    expect(bits(back.data)).toEqual(bits(mean.data));
    const vec = encodeMessage('BlobProtoVector', { blobs: [{ shape: { dim: [2] }, data: [1, 2] }, { num: 1, channels: 1, height: 1, width: 3, data: [3, 4, 5] }] });
    const pv = path.join(tmp, 'vec.binaryproto');
    fs.writeFileSync(pv, vec);
    const blobs = readBlobProtoVector(pv);
    expect(blobs.map((b) => [b.shape, b.legacy, Array.from(b.data)])).toEqual([
      [[2], false, [1, 2]],
      [[1, 1, 1, 3], true, [3, 4, 5]],
    ]);
    expect(() => readBinaryproto(path.join(FIXTURES, 'tiny.prototxt'))).toThrow(/is a text file/);
  });

  it('varint lengths of every size are framed right', () => {
    // A layer name long enough for a 2-byte length varint, and a payload needing a 3-byte one.
    const name = 'n'.repeat(200);
    const net = { layer: [{ name, type: 'InnerProduct' }] };
    const w = [{ name, type: 'InnerProduct', blobs: [{ shape: [5000], legacy: false, data: floats(5000, 11) }] }];
    const out = path.join(tmp, 'long.caffemodel');
    writeCaffemodel(out, net, w);
    const m = readCaffemodel(out);
    expect(m.layers[0].name).toBe(name);
    expect(bits(m.layers[0].blobs[0].data)).toEqual(bits(w[0].blobs[0].data));
    expect(putVarint(new Uint8Array(4), 0, 20000)).toBe(3);
  });
});

describeShared('real caffemodels trained by others (../shared)', () => {
  const M = (p: string): string => sharedPath('reference', 'models', p);
  const cases: Array<{ file: string; format: string; layers: number; floats: number; sample: Record<string, string[]> }> = [
    {
      file: 'mnist-lenet-v2-ethereon/lenet_iter_10000.caffemodel',
      format: 'V2',
      layers: 9,
      floats: 431080,
      sample: { conv1: ['20x1x5x5', '20'], conv2: ['50x20x5x5', '50'], ip1: ['500x800', '500'], ip2: ['10x500', '10'], mnist: [] },
    },
    {
      file: 'cifar10-quick-full-everpeace/cifar10_quick_iter_5000.caffemodel',
      format: 'V1',
      layers: 13,
      floats: 145578,
      sample: { conv1: ['32x3x5x5', '1x1x1x32'], conv3: ['64x32x5x5', '1x1x1x64'], ip1: ['1x1x64x1024', '1x1x1x64'], ip2: ['1x1x10x64', '1x1x1x10'] },
    },
    {
      file: 'cifar10-quick-full-everpeace/cifar10_full_iter_70000.caffemodel',
      format: 'V1',
      layers: 14,
      floats: 89578,
      sample: { conv1: ['32x3x5x5', '1x1x1x32'], ip1: ['1x1x10x1024', '1x1x1x10'] },
    },
    {
      file: 'cifar10-resnet20-ljf/cifar10_ResNet_20_iter_53500.caffemodel',
      format: 'V2',
      layers: 104,
      floats: 274847,
      sample: { conv1: ['16x3x3x3', '16'], 'conv1/bn': ['16', '16', '1'], 'conv1/scale': ['16', '16'] },
    },
    {
      file: 'cifar10-mobilenet-grouped-ljf/caffe_ljftest_train_iter_100000.caffemodel',
      format: 'V2',
      layers: 48,
      floats: 733461,
      sample: { Convolution1: ['32x3x3x3', '32'], Convolution2: ['32x1x3x3', '32'], BatchNorm1: ['32', '32', '1'] },
    },
  ];

  for (const c of cases) {
    describe(c.file, () => {
      it('has the expected layers, blob shapes and float count', () => {
        const m = readCaffemodel(M(c.file));
        expect(m.format).toBe(c.format);
        expect(m.layers).toHaveLength(c.layers);
        expect(m.layers.reduce((a, l) => a + l.blobs.reduce((s, b) => s + b.data.length, 0), 0)).toBe(c.floats);
        const byName = new Map(m.layers.map((l) => [l.name, l]));
        for (const [name, want] of Object.entries(c.sample)) expect(shapes(byName.get(name) as LayerWeights)).toEqual(want);
        if (c.format === 'V1') {
          expect(byName.get('conv1')?.type).toBe('Convolution');
          expect(byName.get('ip1')?.type).toBe('InnerProduct');
          for (const l of m.layers) for (const b of l.blobs) expect(b.legacy).toBe(true);
        }
      });

      it('equals a full protobufjs decode bit for bit', () => expectSameAsFullDecode(M(c.file)));

      it('is rewritten byte for byte', () => {
        const m = readCaffemodel(M(c.file));
        const out = path.join(tmp, 'real-rt.caffemodel');
        writeCaffemodel(out, m.net, m.layers.filter((l) => l.blobs.length > 0), { format: m.format === 'V2' ? 'V2' : 'V1' });
        expect(sameBytes(M(c.file), out)).toBe(true);
      });
    });
  }

  it('reads the CIFAR-10 mean file and points readCaffemodel users to it', () => {
    const mean = readBinaryproto(M('cifar10-resnet20-ljf/cifar10_mean.binaryproto'));
    expect(mean.shape).toEqual([1, 3, 32, 32]);
    expect(mean.legacy).toBe(true);
    const channelMean = [0, 1, 2].map((c) => mean.data.subarray(c * 1024, (c + 1) * 1024).reduce((a, b) => a + b, 0) / 1024);
    expect(channelMean[0]).toBeCloseTo(125.3069, 3);
    expect(channelMean[1]).toBeCloseTo(122.9504, 3);
    expect(channelMean[2]).toBeCloseTo(113.8654, 3);
    expect(() => readCaffemodel(M('cifar10-resnet20-ljf/cifar10_mean.binaryproto'))).toThrow(/read it with readBinaryproto/);
  });

  it('a V2 prototxt passed as weights gets the prototxt hint', () => {
    expect(() => readCaffemodel(M('mnist-lenet-v2-ethereon/lenet.prototxt'))).toThrow(/is a text file \(a prototxt\?\)/);
  });
});
