/**
 * The ONNX target through the CLI: `convert -o model.onnx` (format from the extension, or
 * --format), `run` and `parity` on ONNX Runtime saying which engine ran, blobs fetched by their
 * Caffe names (in-place blobs: the value after the last in-place layer), and the usage errors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readNpz, toFloat32, writeNpy } from '../../src/runtime/npy';
import { senet } from '../helpers/cli';

const F = path.resolve(__dirname, '..', 'fixtures', 'parity', 'se_resnext_50');

let tmp: string;
let model: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-onnx-'));
  model = path.join(tmp, 'sx.onnx');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('senet convert / run / parity with an .onnx model', () => {
  it('convert writes one ONNX file (from the extension), and refuses to replace it without --force', () => {
    const r = senet(['convert', path.join(F, 'net.prototxt'), path.join(F, 'weights.caffemodel'), '-o', model, '--json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { format: string; outputs: string[]; folded: string[]; weightBytes: number };
    expect(j.format).toBe('onnx');
    expect(j.outputs).toEqual(['prob']);
    expect(j.folded.length).toBeGreaterThan(50);
    expect(fs.statSync(model).isFile()).toBe(true);
    expect(fs.statSync(model).size).toBeGreaterThan(j.weightBytes);
    const again = senet(['convert', path.join(F, 'net.prototxt'), path.join(F, 'weights.caffemodel'), '-o', model, '--quiet']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists \(use --force/);
    // --format tfjs with a .onnx-looking name writes a folder.
    const dir = path.join(tmp, 'folder.onnx');
    expect(senet(['convert', path.join(F, 'net.prototxt'), path.join(F, 'weights.caffemodel'), '-o', dir, '--format', 'tfjs', '--quiet']).status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'model.json'))).toBe(true);
  });

  it('run fetches blobs by Caffe name on ONNX Runtime and says so', () => {
    const out = path.join(tmp, 'blobs.npz');
    const r = senet(['run', model, '-i', path.join(F, 'input.npy'), '-o', out, '--blob', 'conv1/7x7_s2', '--blob', 'prob', '--threads', '1']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('senet: engine onnxruntime, device cpu, 1 thread\n');
    const got = readNpz(out);
    const ref = readNpz(path.join(F, 'blobs.npz'));
    // conv1/7x7_s2 is written in place by BatchNorm, Scale and ReLU: the value after the ReLU.
    for (const k of ['conv1__7x7_s2', 'prob']) {
      const a = toFloat32(got[k]);
      const b = toFloat32(ref[k]);
      expect(got[k].shape).toEqual(ref[k].shape);
      let err = 0;
      let mag = 0;
      for (let i = 0; i < a.length; i++) {
        err = Math.max(err, Math.abs(a[i] - b[i]));
        mag = Math.max(mag, Math.abs(b[i]));
      }
      expect(err).toBeLessThanOrEqual(1e-5 + 1e-4 * mag);
    }
    expect(Math.min(...toFloat32(got.conv1__7x7_s2))).toBe(0);
  });

  it('parity compares every blob on ONNX Runtime', () => {
    const r = senet(['parity', model, '-i', path.join(F, 'input.npy'), '-r', path.join(F, 'blobs.npz'), '--json', '--quiet']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { passed: number; failed: number };
    expect(j.failed).toBe(0);
    expect(j.passed).toBe(122);
  });

  it('usage errors: unknown blob, --backend with ONNX, --threads with TF.js', () => {
    const x = path.join(F, 'input.npy');
    const unknown = senet(['run', model, '-i', x, '-o', path.join(tmp, 'u.npy'), '--blob', 'no_such_blob']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no blob named 'no_such_blob'/);
    const backend = senet(['run', model, '-i', x, '-o', path.join(tmp, 'b.npy'), '--backend', 'wasm']);
    expect(backend.status).toBe(2);
    expect(backend.stderr).toMatch(/--backend chooses a TF.js backend/);
    const threads = senet(['bench', path.join(tmp, 'folder.onnx'), '--threads', '2', '--runs', '1']);
    expect(threads.status).toBe(2);
    expect(threads.stderr).toMatch(/--threads sets ONNX Runtime's threads/);
    for (const r of [unknown, backend, threads]) expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  });

  it('an input of the wrong shape is bad input (exit 1), on both engines', () => {
    const bad = path.join(tmp, 'wrong-shape.npy');
    writeNpy(bad, { data: new Float32Array(3 * 64 * 64), shape: [1, 3, 64, 64] });
    for (const m of [model, path.join(tmp, 'folder.onnx')]) {
      const r = senet(['run', m, '-i', bad, '-o', path.join(tmp, 'w.npy')]);
      expect(r.stderr).toMatch(/input has shape \[1,3,64,64\], the model expects/);
      expect(r.status).toBe(1);
      expect(fs.existsSync(path.join(tmp, 'w.npy'))).toBe(false);
    }
  });
});
