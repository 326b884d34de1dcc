/**
 * @jest-environment ./test/helpers/onnx-environment.js
 */
/**
 * The ONNX files load in OpenCV's ONNX importer (Debian's python3-opencv 4.6) and compute what ONNX
 * Runtime computes: the four reduced official architectures of the parity fixtures (SE-ResNet-50,
 * SE-ResNeXt-50, SE-BN-Inception, SENet-154), in both flavours, batch 1, same probabilities: as released (Axpy) and as
 * `--flavor bvlc` writes them (each Axpy rewritten as the generator does: Reshape of the gate to
 * N x C, a two-bottom Scale on axis 0, Eltwise SUM). Skips with a notice without python3-opencv.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel } from '../../src/caffemodel';
import { convertNetToOnnx, onnxMetadataProps } from '../../src/convert';
import { writeOnnxModel } from '../../src/onnx';
import { loadOnnxModel, readNpz, toFloat32, writeNpy } from '../../src/runtime';
import type { LayerParameter, NetParameter } from '../../src/schema';
import { TRUTH_CASES, loadCase, truthOf } from './harness';

const PYTHON = '/usr/bin/python3';
const TOOL = path.resolve(__dirname, '..', '..', 'tools', 'opencv-dnn.py');
const hasOpenCv = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import cv2, numpy'], { encoding: 'utf8' }).status === 0;
if (!hasOpenCv) {
  // eslint-disable-next-line no-console
  console.warn('opencv-onnx.test: skipped (no python3-opencv: apt-get install python3-opencv python3-numpy)');
}
const maybe = hasOpenCv ? describe : describe.skip;

/** The bvlc flavour of a net: every Axpy (a, X, Y) as Reshape(a) -> Scale(X, a) on axis 0 -> Eltwise(·, Y). */
function bvlcFlavour(net: NetParameter): NetParameter {
  const layers: LayerParameter[] = [];
  for (const l of net.layer ?? []) {
    if (l.type !== 'Axpy') {
      layers.push(l);
      continue;
    }
    const [a, x, y] = l.bottom ?? [];
    const unit = l.name ?? 'axpy';
    layers.push({ name: `${unit}_prob_reshape`, type: 'Reshape', bottom: [a], top: [`${unit}_prob_reshape`], reshape_param: { shape: { dim: [0, 0] } } });
    layers.push({ name: `${unit}_scale`, type: 'Scale', bottom: [x, `${unit}_prob_reshape`], top: [`${unit}_scale`], scale_param: { axis: 0, bias_term: false } });
    layers.push({ name: unit, type: 'Eltwise', bottom: [`${unit}_scale`, y], top: l.top });
  }
  return { ...net, layer: layers };
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opencv-onnx-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

maybe('ONNX files in OpenCV 4.6 vs ONNX Runtime', () => {
  const cases = ['se_resnet_50', 'se_resnext_50', 'se_bn_inception', 'senet_154'].flatMap((c) => [[c, 'official'], [c, 'bvlc']]);
  it.each(cases)('%s (%s flavour): same probabilities', async (name, flavour) => {
    const c = loadCase(name);
    const net = flavour === 'bvlc' ? bvlcFlavour(c.net) : c.net;
    if (flavour === 'bvlc') expect(net.layer?.some((l) => l.type === 'Axpy')).toBe(false);
    const onnx = convertNetToOnnx({ net, weights: readCaffemodel(c.weightsBytes), phase: 'TEST' });
    const file = path.join(tmp, `${name}-${flavour}.onnx`);
    const shapes = new Map<string, number[]>();
    for (const l of onnx.layers) l.tops.forEach((t, k) => shapes.set(t, l.outputShapes[k]));
    writeOnnxModel(file, onnx.graph, { metadata: onnxMetadataProps(onnx.metadata, shapes) });
    const blobs = ['prob'];
    const m = await loadOnnxModel(file, { threads: 1 });
    const ort = await m.run({ data: c.input.data, shape: c.input.shape }, blobs);
    await m.dispose();
    const input = path.join(tmp, `${name}-input.npy`);
    writeNpy(input, { data: c.input.data, shape: c.input.shape });
    const out = path.join(tmp, `${name}-${flavour}-cv.npz`);
    // OpenCV hands out only what its importer keeps as a layer: the graph output.
    const r = spawnSync(PYTHON, [TOOL, '--onnx', file, '--input', input, '--out', out, '--blob', 'prob'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const cv = readNpz(out);
    for (const b of blobs) {
      const a = toFloat32(cv[b]);
      const o = ort[b].data;
      expect(a.length).toBe(o.length);
      let err = 0;
      let mag = 0;
      for (let i = 0; i < a.length; i++) {
        err = Math.max(err, Math.abs(a[i] - o[i]));
        mag = Math.max(mag, Math.abs(o[i]));
      }
      // eslint-disable-next-line no-console
      console.log(`[opencv vs onnxruntime] ${name} ${flavour} ${b}: max abs difference ${err.toExponential(2)} (max magnitude ${mag.toFixed(3)})`);
      // The parity rule for probabilities: within 1e-5 absolute; for SENet-154 (plain calibrated
      // weights, harness TRUTH_CASES) also as float32 noise: OpenCV and ONNX Runtime each no further
      // from the float64 probabilities than 2x Caffe is.
      if (TRUTH_CASES.has(name) && err > 1e-5) {
        const t = truthOf(c).get(b)!.data;
        const dist = (x: ArrayLike<number>): number => {
          let d = 0;
          for (let i = 0; i < t.length; i++) d = Math.max(d, Math.abs(x[i] - t[i]));
          return d;
        };
        const caffe = dist(c.reference.get(b)!.data);
        // eslint-disable-next-line no-console
        console.log(`[opencv vs onnxruntime] ${name} ${flavour} ${b}: from float64: opencv ${dist(a).toExponential(2)}, onnxruntime ${dist(o).toExponential(2)}, Caffe ${caffe.toExponential(2)}`);
        expect(dist(a)).toBeLessThanOrEqual(2 * caffe);
        expect(dist(o)).toBeLessThanOrEqual(2 * caffe);
      } else {
        expect(err).toBeLessThanOrEqual(1e-5);
      }
    }
    // Both agree with Caffe's top-1 too.
    const ref = c.reference.get('prob')!.data;
    const argmax = (d: ArrayLike<number>): number => {
      let k = 0;
      for (let i = 1; i < d.length; i++) if (d[i] > d[k]) k = i;
      return k;
    };
    expect(argmax(toFloat32(cv.prob))).toBe(argmax(ref));
  });
});
