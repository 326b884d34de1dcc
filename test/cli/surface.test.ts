/**
 * The product surface through the compiled CLI: preprocess gives exactly what predict feeds the
 * model (run on its .npy reproduces predict's probabilities), protocols by input size, the shared
 * grammar (-q/--json everywhere, renamed flags with their old names kept), generate's message and
 * fmt --check, init-weights on an ID with calibration progress.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { readNpy, toFloat32 } from '../../src/runtime';
import { preprocessingFor, resizeAndCrop, decodeImage } from '../../src/verify';
import { ROOT, senet } from '../helpers/cli';

const FIX = path.join(ROOT, 'test', 'fixtures', 'parity', 'se_resnext_50');
let tmp: string;
let model: string;
const images: string[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-surface-'));
  model = path.join(tmp, 'model');
  const r = senet(['convert', path.join(FIX, 'net.prototxt'), path.join(FIX, 'weights.caffemodel'), '-o', model, '-q', '--mean', '104,117,123']);
  expect(r.status).toBe(0);
  // Three synthetic photos of different sizes and aspect ratios.
  for (const [w, h, k] of [[300, 200, 1], [150, 260, 2], [128, 128, 3]]) {
    const raw = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      raw[(y * w + x) * 3] = (x * 255 * k) / w;
      raw[(y * w + x) * 3 + 1] = (y * 255) / h;
      raw[(y * w + x) * 3 + 2] = 128 + 100 * Math.sin((x * k + y) / 7);
    }
    const file = path.join(tmp, `img${k}.${k === 2 ? 'jpg' : 'png'}`);
    await (k === 2 ? sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg() : sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png()).toFile(file);
    images.push(file);
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('preprocess and predict', () => {
  it.each([[[] as string[]], [['--protocol', 'inception']], [['--protocol', 'bvlc-227', '--channel-order', 'rgb']]])(
    'run on the preprocess .npy gives predict --json probabilities (%j)', (flags) => {
      const x = path.join(tmp, `x${flags.length}.npy`);
      const pre = senet(['preprocess', model, ...images, '-o', x, ...flags]);
      expect(pre.status).toBe(0);
      expect(pre.stderr).toMatch(/wrote .*x\d\.npy: \[3, 3, 128, 128\] float32, preprocessing /);
      const arr = readNpy(x);
      expect(arr.shape).toEqual([3, 3, 128, 128]);
      const prob = path.join(tmp, `p${flags.length}.npy`);
      expect(senet(['run', model, '-i', x, '-o', prob, '-q']).status).toBe(0);
      const probs = toFloat32(readNpy(prob));
      const pr = senet(['predict', model, ...images, '--json', '--top', '10', ...flags]);
      expect(pr.status).toBe(0);
      expect(pr.stderr).toBe('');
      const got = JSON.parse(pr.stdout) as { image: string; top: { index: number; probability: number }[] }[];
      expect(got.map((g) => g.image)).toEqual(images);
      got.forEach((g, i) => {
        expect(g.top).toHaveLength(10);
        for (const t of g.top) expect(Math.abs(t.probability - probs[i * 10 + t.index])).toBeLessThan(1e-6);
        // Sorted, most likely first.
        for (let k = 1; k < g.top.length; k++) expect(g.top[k].probability).toBeLessThanOrEqual(g.top[k - 1].probability);
      });
    });

  it('the protocol changes the pixels, and the report names it', () => {
    const a = path.join(tmp, 'x0.npy');
    const b = path.join(tmp, 'x2.npy');
    const [xa, xb] = [a, b].map((f) => toFloat32(readNpy(f)));
    let diff = 0;
    for (let i = 0; i < xa.length; i++) diff = Math.max(diff, Math.abs(xa[i] - xb[i]));
    expect(diff).toBeGreaterThan(10);
    const j = senet(['preprocess', model, images[0], '-o', path.join(tmp, 'one.npy'), '--json', '--protocol', 'INCEPTION']);
    expect(j.status).toBe(0);
    expect(JSON.parse(j.stdout).preprocessing).toMatchObject({ protocol: 'inception', resize: 146, crop: [128, 128], channelOrder: 'BGR' });
    expect(senet(['preprocess', model, images[0], '-o', path.join(tmp, 'bad.npy'), '--protocol', 'vgg']).status).toBe(2);
  });

  it('predict on several images shows loading and progress on stderr, not with -q', () => {
    const r = senet(['predict', model, ...images, '--top', '2']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/senet: loading .*\nsenet: loaded in \d+\.\d s \(engine tfjs, backend \w+\); preprocessing fit: shorter side 128/);
    expect(r.stderr).toMatch(/senet: predict 3\/3/);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('  '))).toHaveLength(6);
    expect(senet(['predict', model, ...images, '-q']).stderr).toBe('');
  });
});

describe('protocols by input size', () => {
  it('224 and 227: shorter side 256; 299/320: crop/0.875; MNIST/CIFAR: none; named ones on request', () => {
    expect(preprocessingFor([1, 3, 224, 224], undefined, {})).toMatchObject({ resize: 256, protocol: 'senet' });
    expect(preprocessingFor([1, 3, 227, 227], undefined, {})).toMatchObject({ resize: 256, protocol: 'senet' });
    expect(preprocessingFor([1, 3, 299, 299], undefined, {})).toMatchObject({ resize: 342, protocol: 'inception' });
    expect(preprocessingFor([1, 3, 320, 320], undefined, {})).toMatchObject({ resize: 366, protocol: 'inception' });
    expect(preprocessingFor([1, 1, 28, 28], undefined, {})).toMatchObject({ resize: 0, protocol: 'none', channelOrder: 'GRAY' });
    expect(preprocessingFor([1, 3, 32, 32], undefined, {})).toMatchObject({ resize: 0, protocol: 'none' });
    expect(preprocessingFor([1, 3, 227, 227], undefined, { protocol: 'bvlc-227' })).toMatchObject({ resize: 256, warp: true, protocol: 'bvlc-227' });
    expect(preprocessingFor([1, 3, 224, 224], undefined, { resize: 300 })).toMatchObject({ resize: 300, protocol: 'custom' });
  });

  it('bvlc-227 warps to 256x256 (aspect not kept) before the centre crop', async () => {
    const img = await decodeImage(images[0]);
    const warped = resizeAndCrop(img, 256, [227, 227], true);
    expect(warped.resized).toEqual([256, 256]);
    expect(warped.offset).toEqual([14, 14]);
    const kept = resizeAndCrop(img, 256, [227, 227]);
    expect(kept.resized).toEqual([256, 384]);
  });
});

describe('one grammar', () => {
  it('every command takes -q/--quiet and --json', () => {
    const help = senet(['--help']).stdout;
    const names = [...help.matchAll(/^ {2}senet (\S+)/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThanOrEqual(15);
    for (const c of names) {
      const h = senet([c, '--help']).stdout;
      expect([c, /-q, --quiet/.test(h), /--json/.test(h)]).toEqual([c, true, true]);
    }
  });

  it('generate -o says what it wrote, and the file passes fmt --check', () => {
    const f = path.join(tmp, 'r50.prototxt');
    const g = senet(['generate', 'se-resnet-50', '-o', f]);
    expect(g.status).toBe(0);
    expect(g.stderr).toMatch(/^senet: wrote .*r50\.prototxt: se-resnet-50, \d+ layers \(official flavor, deploy\)\n$/);
    expect(senet(['generate', 'se-resnet-50', '-o', f, '-q']).stderr).toBe('');
    const j = JSON.parse(senet(['generate', 'se-resnet-50', '-o', f, '--json']).stdout);
    expect(j).toMatchObject({ id: 'se-resnet-50', file: f, bytes: fs.statSync(f).size });
    const check = senet(['fmt', '--check', f]);
    expect(check.status).toBe(0);
    expect(JSON.parse(senet(['fmt', '--check', f, '--json']).stdout)).toMatchObject({ canonical: true, written: false });
    // Without its header comment the file is Caffe's own print: canonical too.
    const plain = path.join(tmp, 'plain.prototxt');
    fs.writeFileSync(plain, fs.readFileSync(f, 'utf8').replace(/^#.*\n/m, ''));
    expect(senet(['fmt', '--check', plain]).status).toBe(0);
  });

  it('generate --data-backend, and the old --backend with a note, write the same net', () => {
    const base = ['generate', 'resnet-50', '--phase', 'train', '--source', 'a.txt', '--test-source', 'b.txt'];
    const now = senet([...base, '--data-backend', 'ImageData']);
    const old = senet([...base, '--backend', 'imagedata']);
    expect(now.status).toBe(0);
    expect(now.stdout).toMatch(/type: "ImageData"/);
    expect(old.stdout).toBe(now.stdout);
    expect(old.stderr).toMatch(/generate --backend is deprecated; use --data-backend/);
    expect(senet([...base, '--data-backend', 'hdf5']).status).toBe(2);
  });

  it('eval and predict take the channel order in any case; unknown values are usage errors', () => {
    for (const c of ['bgr', 'BGR', 'Rgb']) expect(senet(['predict', model, images[2], '-q', '--channel-order', c]).status).toBe(0);
    const bad = senet(['predict', model, images[2], '--channel-order', 'bgra']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--channel-order 'bgra' must be bgr, rgb or gray/);
  });

  it('eval --class-order (and its old name --label-order) on CIFAR-like labels; the report names the protocol', () => {
    const labels = path.join(tmp, 'val.txt');
    fs.writeFileSync(labels, images.map((f, i) => `${path.basename(f)} ${i}`).join('\n') + '\n');
    const dir = path.dirname(images[0]);
    const now = senet(['eval', model, '--images', dir, '--labels', labels, '--class-order', 'standard', '--workers', '1', '-q']);
    expect(now.status).toBe(0);
    expect(now.stdout).toMatch(/preprocessing fit: shorter side 128, centre crop 128x128, BGR, mean 104,117,123, scale 1/);
    const old = senet(['eval', model, '--images', dir, '--labels', labels, '--label-order', 'standard', '--workers', '1', '--json']);
    expect(old.status).toBe(0);
    expect(old.stderr).toBe('');
    const j = JSON.parse(old.stdout);
    expect(j.evaluated).toBe(3);
    expect(j.preprocessing.protocol).toBe('fit');
  });

  it('init-weights takes an architecture ID; calibration shows progress', () => {
    const w = path.join(tmp, 'g.caffemodel');
    const r = senet(['init-weights', 'googlenet', '--num-classes', '10', '-o', w, '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ output: w, layers: 58, calibrated: false });
    const c = senet(['init-weights', path.join(FIX, 'net.prototxt'), '-o', path.join(tmp, 'c.caffemodel'), '--calibrate']);
    expect(c.status).toBe(0);
    const lines = c.stderr.split('\n').filter((l) => l !== '');
    expect(lines.filter((l) => /^senet: calibrating BatchNorm, layer \d+\/\d+/.test(l)).length).toBeGreaterThanOrEqual(5);
    expect(lines[lines.length - 1]).toMatch(/wrote .*c\.caffemodel: .*BatchNorm calibrated/);
    expect(senet(['init-weights', 'not-an-arch', '-o', w]).status).toBe(2);
  });
});
