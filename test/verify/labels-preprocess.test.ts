import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import {
  classifierPermutation, imagenetClasses, indexMap, invertPermutation, permuteClassifier, permuteScores,
  preprocessImage, preprocessingFor, resizedSize, topK,
} from '../../src/verify';
import { describeShared, sharedPath } from '../helpers/shared';

describe('label orders', () => {
  it('standard order is the sorted synsets; known classes sit where Caffe and the devkit put them', () => {
    const std = imagenetClasses('standard');
    const sen = imagenetClasses('senet');
    expect(std.map((c) => c.synset)).toEqual([...std.map((c) => c.synset)].sort());
    expect(std[0]).toEqual({ synset: 'n01440764', words: 'tench, Tinca tinca' });
    expect(std[281].synset).toBe('n02123045'); // tabby
    expect(sen[0].synset).toBe('n02119789'); // devkit ID 1: kit fox
    expect(new Set(sen.map((c) => c.synset)).size).toBe(1000);
  });

  it('maps round-trip and agree with the class tables', () => {
    const s2t = indexMap('senet', 'standard');
    const t2s = indexMap('standard', 'senet');
    for (let i = 0; i < 1000; i++) {
      expect(t2s[s2t[i]]).toBe(i);
      expect(imagenetClasses('standard')[s2t[i]].synset).toBe(imagenetClasses('senet')[i].synset);
    }
    expect(invertPermutation(invertPermutation(s2t))).toEqual(s2t);
    expect(() => invertPermutation([0, 0, 1])).toThrow(/not a permutation/);
  });

  it('permuting a classifier equals permuting its scores, both layouts, and round-trips', () => {
    const k = 3;
    const w = Float32Array.from({ length: 1000 * k }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 1000 }, (_, i) => i / 7);
    const x = [0.5, -1, 2];
    const scores = (W: Float32Array, B: Float32Array, t: boolean): number[] =>
      Array.from({ length: 1000 }, (_, j) => B[j] + x.reduce((s, xv, r) => s + xv * (t ? W[r * 1000 + j] : W[j * k + r]), 0));
    const perm = classifierPermutation('senet', 'standard');
    const p = permuteClassifier({ weight: { data: w, shape: [1000, k] }, bias: { data: b, shape: [1000] } }, perm);
    const plain = scores(w, b, false);
    const expected = perm.map((src) => plain[src]);
    expect(Array.from(permuteScores(plain, perm))).toEqual(Array.from(Float32Array.from(expected)));
    scores(p.weight.data, p.bias!.data, false).forEach((v, j) => expect(v).toBeCloseTo(expected[j], 5));
    // Class at standard index j is the class at senet index perm[j].
    const std = imagenetClasses('standard');
    const sen = imagenetClasses('senet');
    perm.forEach((src, j) => expect(sen[src].synset).toBe(std[j].synset));
    // transpose: true layout [K, num_output]
    const wt = Float32Array.from({ length: 1000 * k }, (_, i) => w[(i % 1000) * k + Math.floor(i / 1000)]);
    const pt = permuteClassifier({ weight: { data: wt, shape: [k, 1000] }, bias: { data: b, shape: [1000] } }, perm, true);
    scores(pt.weight.data, pt.bias!.data, true).forEach((v, j) => expect(v).toBeCloseTo(expected[j], 5));
    // and back
    const back = permuteClassifier(p, classifierPermutation('standard', 'senet'));
    expect(Array.from(back.weight.data)).toEqual(Array.from(w));
    expect(Array.from(back.bias!.data)).toEqual(Array.from(b));
    expect(() => permuteClassifier({ weight: { data: w, shape: [1000, k] } }, [0, 1])).toThrow(/1000 outputs/);
  });

  it('topK orders by value, ties by index', () => {
    expect(topK([0.1, 0.5, 0.5, 0.9, 0], 3)).toEqual([3, 1, 2]);
  });
});

describeShared('label orders against the reference files', () => {
  it('agree with senet_to_standard.txt and the two validation label files', () => {
    const m = indexMap('senet', 'standard');
    const rows = fs.readFileSync(sharedPath('reference', 'imagenet', 'senet_to_standard.txt'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    rows.forEach((r) => expect(m[Number(r[0])]).toBe(Number(r[1])));
    const off = fs.readFileSync(sharedPath('reference', 'senet-official', 'ILSVRC2017_val.txt'), 'utf8').trim().split('\n').slice(0, 2000);
    const std = fs.readFileSync(sharedPath('reference', 'imagenet', 'val.txt'), 'utf8').trim().split('\n').slice(0, 2000);
    off.forEach((l, i) => expect(m[Number(l.split(' ')[1])]).toBe(Number(std[i].split(' ')[1])));
  });
});

/** Independent bilinear: straight from the formula, per output pixel of the full resized image. */
function naiveResize(src: Uint8Array, w: number, h: number, c: number, W: number, H: number): Float64Array {
  const out = new Float64Array(W * H * c);
  const at = (x: number, y: number, k: number): number => src[(Math.min(Math.max(y, 0), h - 1) * w + Math.min(Math.max(x, 0), w - 1)) * c + k];
  for (let Y = 0; Y < H; Y++) {
    for (let X = 0; X < W; X++) {
      const sx = Math.min(Math.max((X + 0.5) * (w / W) - 0.5, 0), w - 1);
      const sy = Math.min(Math.max((Y + 0.5) * (h / H) - 0.5, 0), h - 1);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let k = 0; k < c; k++) {
        out[(Y * W + X) * c + k] = (1 - fy) * ((1 - fx) * at(x0, y0, k) + fx * at(x0 + 1, y0, k)) + fy * ((1 - fx) * at(x0, y0 + 1, k) + fx * at(x0 + 1, y0 + 1, k));
      }
    }
  }
  return out;
}

describe('preprocessing', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-pre-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cases: [number, number][] = [[300, 200], [150, 260], [256, 256], [97, 61]];
  it.each(cases)('a %ix%i PNG: resize 256 / crop 224, BGR, mean — matches an independent computation', async (w, h) => {
    const raw = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      raw[(y * w + x) * 3] = (x * 255) / w;
      raw[(y * w + x) * 3 + 1] = (y * 255) / h;
      raw[(y * w + x) * 3 + 2] = 128 + 100 * Math.sin((x + y) / 9);
    }
    const file = path.join(tmp, `img-${w}x${h}.png`);
    await sharp(Buffer.from(raw), { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
    const opts = preprocessingFor([1, 3, 224, 224], undefined, {});
    expect(opts).toMatchObject({ resize: 256, crop: [224, 224], channelOrder: 'BGR', scale: 1, mean: { kind: 'channel', values: [104, 117, 123] } });
    const got = await preprocessImage(file, opts);
    const [W, H] = resizedSize(w, h, 256);
    expect(Math.min(W, H)).toBe(256);
    const full = naiveResize(raw, w, h, 3, W, H);
    const oy = Math.floor((H - 224) / 2);
    const ox = Math.floor((W - 224) / 2);
    const mean = [104, 117, 123];
    let maxErr = 0;
    for (let k = 0; k < 3; k++) for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) {
      const want = Math.round(full[((y + oy) * W + x + ox) * 3 + (2 - k)]) - mean[k];
      maxErr = Math.max(maxErr, Math.abs(got[k * 224 * 224 + y * 224 + x] - want));
    }
    // Our taps are float32, the naive ones float64: a value at .5 may round the other way.
    expect(maxErr).toBeLessThanOrEqual(1);
    // And against libvips (sharp) on this smooth image, within resize tolerance.
    const vips = await sharp(file).resize(W, H, { kernel: 'linear', fit: 'fill' }).extract({ left: ox, top: oy, width: 224, height: 224 }).raw().toBuffer();
    let sum = 0;
    for (let k = 0; k < 3; k++) for (let i = 0; i < 224 * 224; i++) sum += Math.abs(got[k * 224 * 224 + i] + mean[k] - vips[i * 3 + (2 - k)]);
    expect(sum / (3 * 224 * 224)).toBeLessThan(2.5);
  });

  it('metadata preprocessing and flags: scale, RGB, no resize for small inputs; corrupt files reject', async () => {
    const o = preprocessingFor([1, 3, 32, 32], { mean: [1, 2, 3], scale: 0.5 }, { channelOrder: 'RGB' });
    expect(o).toEqual({ resize: 0, crop: [32, 32], channelOrder: 'RGB', mean: { kind: 'channel', values: [1, 2, 3] }, scale: 0.5, protocol: 'none' });
    const raw = Buffer.from(Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => i % 251));
    const file = path.join(tmp, 'small.png');
    await sharp(raw, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(file);
    const got = await preprocessImage(file, o);
    for (const i of [0, 5, 1000, 3071]) {
      const k = Math.floor(i / 1024);
      const p = i % 1024;
      expect(got[i]).toBeCloseTo((raw[p * 3 + k] - [1, 2, 3][k]) * 0.5, 6);
    }
    const bad = path.join(tmp, 'bad.jpg');
    fs.writeFileSync(bad, Buffer.concat([fs.readFileSync(file).subarray(0, 60)]));
    await expect(preprocessImage(bad, o)).rejects.toThrow();
  });
});
