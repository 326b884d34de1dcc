/**
 * References for Axpy nets with stock Caffe: tools/caffe-reference.sh runs the official-architecture
 * SE-ResNeXt fixture (16 Axpy layers) on stock BVLC Caffe with our own Axpy plugin
 * (tools/caffe-axpy.cpp), and `senet portable`'s rewrite of it without any plugin; both must match
 * the blobs the oracle made (test/fixtures/parity/se_resnext_50), and each other bit for bit.
 * OpenCV (python3-opencv) runs the portable net to Caffe's probabilities; its own Axpy does not.
 * Skips with a notice where the oracle, g++ or OpenCV is absent.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readNpy, readNpz, toFloat32 } from '../../src/runtime';
import { ROOT, senet } from '../helpers/cli';

const PREFIX = process.env.CAFFE_PREFIX ?? '/opt/caffe-bullseye';
const FIX = path.join(ROOT, 'test', 'fixtures', 'parity', 'se_resnext_50');
const haveCaffe = fs.existsSync(path.join(PREFIX, 'env.sh')) && spawnSync('g++', ['--version']).status === 0;
const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const haveCv = spawnSync(PY, ['-c', 'import cv2, numpy'], { encoding: 'utf8' }).status === 0;
// eslint-disable-next-line no-console
if (!haveCaffe) console.warn(`[skip] stock Caffe + Axpy plugin: no Caffe at ${PREFIX} (see ../shared/oracle) or no g++`);
// eslint-disable-next-line no-console
if (!haveCv) console.warn('[skip] OpenCV check of senet portable: python3-opencv is not installed');

const maxAbs = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const maxMag = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

let tmp: string;
let portable: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-stock-axpy-'));
  portable = path.join(tmp, 'portable.prototxt');
  const r = senet(['portable', path.join(FIX, 'net.prototxt'), '-o', portable, '--json']);
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout).rewritten).toHaveLength(16);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function reference(net: string, out: string): void {
  const r = spawnSync('bash', [path.join(ROOT, 'tools', 'caffe-reference.sh'), net, path.join(FIX, 'weights.caffemodel'), path.join(FIX, 'input.npy'), out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`caffe-reference.sh failed (${r.status}): ${r.stderr}`);
}

(haveCaffe ? describe : describe.skip)('stock Caffe', () => {
  it('the official net with our Axpy plugin, and its portable form without, give the oracle blobs', () => {
    const withPlugin = path.join(tmp, 'plugin');
    const stock = path.join(tmp, 'stock');
    reference(path.join(FIX, 'net.prototxt'), withPlugin);
    reference(portable, stock);
    const oracle = readNpz(path.join(FIX, 'blobs.npz'));
    const names = Object.keys(oracle);
    expect(names.length).toBeGreaterThan(100);
    for (const k of names) {
      const ref = toFloat32(oracle[k]);
      const a = toFloat32(readNpy(path.join(withPlugin, `${k}.npy`)));
      const b = toFloat32(readNpy(path.join(stock, `${k}.npy`)));
      // Same math in the same libcaffe: the plugin and the stock rewrite agree exactly.
      expect([k, maxAbs(a, b)]).toEqual([k, 0]);
      // The oracle's fixture may come from another OpenBLAS kernel: parity's bound for values.
      expect([k, maxAbs(a, ref) <= 1e-6 + 1e-4 * maxMag(ref)]).toEqual([k, true]);
    }
  }, 600000);
});

(haveCaffe && haveCv ? describe : describe.skip)('OpenCV', () => {
  it("runs the portable net to stock Caffe's probabilities (its own Axpy does not)", () => {
    const script = 'import sys, numpy as np, cv2\nnet = cv2.dnn.readNetFromCaffe(sys.argv[1], sys.argv[2])\nnet.setInput(np.load(sys.argv[3]).astype(np.float32))\nnp.save(sys.argv[4], net.forward("prob").astype(np.float32))\n';
    const run = (net: string, out: string): Float32Array => {
      const r = spawnSync(PY, ['-c', script, net, path.join(FIX, 'weights.caffemodel'), path.join(FIX, 'input.npy'), out], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`OpenCV failed: ${r.stderr}`);
      return toFloat32(readNpy(out));
    };
    const caffe = toFloat32(readNpz(path.join(FIX, 'blobs.npz')).prob);
    expect(maxAbs(run(portable, path.join(tmp, 'cv-portable.npy')), caffe)).toBeLessThan(1e-5);
    expect(maxAbs(run(path.join(FIX, 'net.prototxt'), path.join(tmp, 'cv-official.npy')), caffe)).toBeGreaterThan(1e-2);
  }, 120000);
});
