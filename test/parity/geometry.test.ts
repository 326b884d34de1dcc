/**
 * @jest-environment ./test/helpers/onnx-environment.js
 */
/**
 * The window geometry of converted layers against real Caffe: the grid in test/fixtures/geometry
 * (tools/make-geometry-fixtures.js; weights and blobs made by Caffe itself, SOURCE.md there).
 * Pooling with ceil overhang and pad clip, round_mode FLOOR, rectangular and global windows;
 * convolutions with every small kernel/stride/pad, rectangular ones, dilation and groups;
 * InnerProduct over axes 1..3; LRN sizes. Every layer of every case is compared with Caffe's top.
 *
 * Each conversion target is one runner in TARGETS: it gets the case and returns the layers' tops
 * in Caffe's NCHW layout; a new target is one more entry.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel } from '../../src/caffemodel';
import { convertNet, convertNetToOnnx, onnxMetadataProps } from '../../src/convert';
import { writeOnnxModel } from '../../src/onnx';
import { initBackend, loadModel, loadOnnxModel, runModel } from '../../src/runtime';
import { readNpy, readNpz, toFloat32 } from '../../src/runtime/npy';
import { writeGraphModel } from '../../src/tfgraph';
import { readNetText } from '../../src/upgrade';

const GEOMETRY_DIR = path.resolve(__dirname, '..', 'fixtures', 'geometry');

interface GeometryLayer {
  name: string;
  type: string;
  /** What the layer shows (kernel, stride, pad, ...). */
  what: string;
  shape: number[];
}
interface GeometryCase {
  name: string;
  dir: string;
  about: string;
  prototxt: string;
  caffemodel: string;
  input: { shape: number[]; data: Float32Array };
  layers: GeometryLayer[];
  /** Caffe's top of each layer. */
  caffe: Map<string, Float32Array>;
}

function loadCase(name: string): GeometryCase {
  const dir = path.join(GEOMETRY_DIR, name);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as { about: string; layers: GeometryLayer[] };
  const x = readNpy(path.join(dir, 'input.npy'));
  const npz = readNpz(path.join(dir, 'blobs.npz'));
  return {
    name,
    dir,
    about: manifest.about,
    prototxt: path.join(dir, 'net.prototxt'),
    caffemodel: path.join(dir, 'weights.caffemodel'),
    input: { shape: x.shape, data: toFloat32(x) },
    layers: manifest.layers,
    caffe: new Map(manifest.layers.map((l) => [l.name, toFloat32(npz[l.name])])),
  };
}

/** One conversion target: the tops of the case's layers, by layer name, NCHW like Caffe's. */
interface Target {
  name: string;
  run(c: GeometryCase, tmp: string): Promise<Map<string, { shape: number[]; data: Float32Array }>>;
}

const TARGETS: Target[] = [
  {
    name: 'tfjs (cpu backend)',
    async run(c, tmp) {
      await initBackend('cpu');
      const converted = convertNet({ net: readNetText(c.prototxt), weights: readCaffemodel(c.caffemodel), phase: 'TEST' });
      const dir = path.join(tmp, `${c.name}-tfjs`);
      writeGraphModel(dir, converted.graph, { metadata: converted.metadata });
      const got = runModel(await loadModel(dir), c.input, { outputs: c.layers.map((l) => l.name) });
      return new Map(Object.entries(got));
    },
  },
  {
    // Caffe's ceil overhang and pad clip are written out (end padding or a crop, floor mode), not
    // left to ONNX Runtime's ceil_mode rule; this is where that choice is checked.
    name: 'onnx (ONNX Runtime, cpu)',
    async run(c, tmp) {
      const onnx = convertNetToOnnx({ net: readNetText(c.prototxt), weights: readCaffemodel(c.caffemodel), phase: 'TEST' });
      const file = path.join(tmp, `${c.name}.onnx`);
      const shapes = new Map<string, number[]>();
      for (const l of onnx.layers) l.tops.forEach((t, k) => shapes.set(t, l.outputShapes[k]));
      writeOnnxModel(file, onnx.graph, { metadata: onnxMetadataProps(onnx.metadata, shapes) });
      const names = c.layers.map((l) => l.name);
      const m = await loadOnnxModel(file, { threads: 1, fetch: names });
      try {
        return new Map(Object.entries(await m.run(c.input, names)));
      } finally {
        await m.dispose();
      }
    },
  },
];

/**
 * Float32 error allowed, relative to the blob's magnitude (at least 1): the sums here have at most
 * a few hundred terms, whose rounding in another order stays near 1e-6.
 */
const REL_TOL = 1e-5;

/** Max |got - caffe| and the blob's peak magnitude; Infinity for a NaN. */
function errorOf(got: Float32Array, want: Float32Array): { abs: number; peak: number } {
  let abs = 0;
  let peak = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    abs = Number.isNaN(d) ? Infinity : Math.max(abs, d);
    peak = Math.max(peak, Math.abs(want[i]));
  }
  return { abs, peak };
}

const CASES = fs.existsSync(GEOMETRY_DIR) ? fs.readdirSync(GEOMETRY_DIR).filter((d) => fs.existsSync(path.join(GEOMETRY_DIR, d, 'case.json'))).sort() : [];

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'geometry-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the geometry grid', () => {
  test('has the cases and the geometry each is for', () => {
    expect(CASES).toEqual(['conv_8x8', 'conv_9x7', 'inner_product', 'lrn', 'pool_7x7', 'pool_8x8', 'pool_9x6', 'pool_more_11x7', 'pool_more_8x8']);
    const all = CASES.flatMap((n) => loadCase(n).layers);
    const shows = (re: RegExp): string[] => all.filter((l) => re.test(l.what)).map((l) => l.name);
    // The situations the grid exists for, each present at least once.
    const pooling = all.filter((l) => l.type === 'Pooling');
    const conv = all.filter((l) => l.type === 'Convolution');
    expect(new Set(pooling.map((l) => l.what.split(' ')[0]))).toEqual(new Set(['MAX', 'AVE']));
    expect(shows(/round_mode FLOOR/)).toEqual(expect.arrayContaining(['max_floor_k3_s2_p1', 'ave_floor_k3_s3_p0', 'ave_rect_floor_k3x2_s2x1_p1x0']));
    expect(shows(/global_pooling/)).toEqual(['max_global', 'ave_global', 'max_global', 'ave_global']);
    expect(shows(/dilation (1x3|2x1|2x2|3x3|1x2)/)).toEqual(expect.arrayContaining(['conv_dil_k3x3_d2x1_p0x1', 'conv_dil_k3x2_d1x3_p1x1', 'conv_dw_rect_dil']));
    expect(shows(/group|depthwise/)).toEqual(expect.arrayContaining(['conv_g2', 'conv_g2_s2', 'conv_g2_dil2', 'conv_dw', 'conv_dw_m2_s2']));
    expect(shows(/^axis 2/)).toEqual(['ip_axis2', 'ip_axis2_t', 'ip_axis2_nobias']);
    expect(shows(/WITHIN_CHANNEL/)).toEqual(['lrn_within_3', 'lrn_within_5']);
    // Ceil overhang (CEIL gives one more output than FLOOR) and pad clip (Caffe drops a last
    // window that would start in the padding) both occur, computed from Caffe's own shapes.
    let overhang = 0;
    let clipped = 0;
    for (const n of CASES) {
      const c = loadCase(n);
      for (const l of c.layers) {
        const m = /^(MAX|AVE) kernel (\d+) stride (\d+) pad (\d+) \(CEIL\)$/.exec(l.what);
        if (!m) continue;
        const [k, s, p] = [Number(m[2]), Number(m[3]), Number(m[4])];
        for (const [axis, size] of [[2, c.input.shape[2]], [3, c.input.shape[3]]]) {
          const ceil = Math.ceil((size + 2 * p - k) / s) + 1;
          const floor = Math.floor((size + 2 * p - k) / s) + 1;
          if (l.shape[axis] === ceil - 1 && ceil !== floor) clipped++;
          else if (l.shape[axis] === ceil && ceil !== floor) overhang++;
          // Caffe clips only when padded.
          expect([l.name, l.shape[axis]]).toEqual([l.name, p > 0 && (ceil - 1) * s >= size + p ? ceil - 1 : ceil]);
        }
      }
    }
    expect(overhang).toBeGreaterThan(0);
    expect(clipped).toBeGreaterThan(0);
  });
});

describe.each(TARGETS.map((t) => [t.name, t] as const))('%s against real Caffe', (_name, target) => {
  test.each(CASES)(`%s: every layer within ${REL_TOL} of Caffe, MAX pooling exactly`, async (name) => {
    const c = loadCase(name);
    const got = await target.run(c, tmp);
    const failures: string[] = [];
    let worst = { rel: 0, layer: '' };
    for (const l of c.layers) {
      const want = c.caffe.get(l.name)!;
      const g = got.get(l.name);
      if (g === undefined) {
        failures.push(`${l.name} (${l.what}): missing`);
        continue;
      }
      if (g.shape.join() !== l.shape.join()) {
        failures.push(`${l.name} (${l.what}): shape [${g.shape}], Caffe [${l.shape}]`);
        continue;
      }
      const { abs, peak } = errorOf(g.data, want);
      const rel = abs / Math.max(1, peak);
      if (rel > worst.rel || worst.layer === '') worst = { rel, layer: l.name };
      // A max picks one of the input values: nothing to round.
      if (l.type === 'Pooling' && l.what.startsWith('MAX') && abs !== 0) failures.push(`${l.name} (${l.what}): max abs error ${abs.toExponential(2)}, a max pool must be exact`);
      else if (!(rel <= REL_TOL)) failures.push(`${l.name} (${l.what}): max abs error ${abs.toExponential(2)} (peak |caffe| ${peak.toPrecision(3)}, relative ${rel.toExponential(2)} > ${REL_TOL})`);
    }
    // eslint-disable-next-line no-console
    console.log(`[geometry ${target.name}] ${name}: ${c.layers.length} layers, worst relative error ${worst.rel.toExponential(2)} (${worst.layer}), failing ${failures.length}`);
    expect(failures).toEqual([]);
  });
});
