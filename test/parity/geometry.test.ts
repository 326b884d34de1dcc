/**
 * @jest-environment ./test/helpers/onnx-environment.js
 */
/**
 * The window geometry of converted layers against real Caffe: the grid in test/fixtures/geometry
 * (tools/make-geometry-fixtures.js; weights and blobs made by Caffe itself, SOURCE.md there).
 * Pooling with ceil overhang and pad clip, round_mode FLOOR, rectangular and global windows;
 * convolutions with every small kernel/stride/pad, rectangular ones, dilation and groups;
 * InnerProduct over axes 1..3; LRN sizes. Every layer of every case is compared with Caffe's top.
 * Pooling windows wholly past the input (unpadded, stride above the kernel) must give Caffe's
 * values there exactly: -FLT_MAX for MAX, NaN or a signed zero for AVE.
 *
 * Each target is one runner in TARGETS: it gets the case and returns the layers' tops in Caffe's
 * NCHW layout; a new target is one more entry. The project's reference forward pass is one too.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel } from '../../src/caffemodel';
import { convertNet, convertNetToOnnx, onnxMetadataProps } from '../../src/convert';
import { writeOnnxModel } from '../../src/onnx';
import { referenceForward } from '../../src/reference';
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
    name: 'reference forward (float32)',
    async run(c) {
      const weights = new Map(readCaffemodel(c.caffemodel).layers.map((l) => [l.name, l.blobs]));
      const out = referenceForward(readNetText(c.prototxt), { inputs: { data: c.input }, weights });
      return new Map(c.layers.filter((l) => out.has(l.name)).map((l) => [l.name, out.get(l.name)!]));
    },
  },
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

/** Max |got - caffe| and the blob's peak magnitude, outside `skip`; Infinity for a NaN. */
function errorOf(got: Float32Array, want: Float32Array, skip: ReadonlySet<number>): { abs: number; peak: number } {
  let abs = 0;
  let peak = 0;
  for (let i = 0; i < want.length; i++) {
    if (skip.has(i)) continue;
    const d = Math.abs(got[i] - want[i]);
    abs = Number.isNaN(d) ? Infinity : Math.max(abs, d);
    peak = Math.max(peak, Math.abs(want[i]));
  }
  return { abs, peak };
}

/** A pooling layer's window as its `what` says (square "kernel 3" or rectangular "kernel 3x2"). */
interface PoolWindow {
  pool: 'MAX' | 'AVE';
  kernel: [number, number];
  stride: [number, number];
  pad: [number, number];
  ceil: boolean;
}
function poolWindowOf(l: GeometryLayer): PoolWindow | undefined {
  const m = /^(MAX|AVE) kernel (\d+)(?:x(\d+))? stride (\d+)(?:x(\d+))? pad (\d+)(?:x(\d+))?( \(CEIL\)|, round_mode FLOOR)/.exec(l.what);
  if (!m) return undefined;
  const hw = (h: string, w: string | undefined): [number, number] => [Number(h), Number(w ?? h)];
  return { pool: m[1] as 'MAX' | 'AVE', kernel: hw(m[2], m[3]), stride: hw(m[4], m[5]), pad: hw(m[6], m[7]), ceil: m[8] === ' (CEIL)' };
}

/** Flat indices (NCHW, Caffe's top shape) of the outputs whose window reads no input element. */
function emptyWindows(w: PoolWindow, input: number[], top: number[]): number[] {
  const [N, C, OH, OW] = top;
  const out: number[] = [];
  for (let nc = 0; nc < N * C; nc++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        if (oy * w.stride[0] - w.pad[0] >= input[2] || ox * w.stride[1] - w.pad[1] >= input[3]) out.push((nc * OH + oy) * OW + ox);
      }
    }
  }
  return out;
}

const CASES = fs.existsSync(GEOMETRY_DIR) ? fs.readdirSync(GEOMETRY_DIR).filter((d) => fs.existsSync(path.join(GEOMETRY_DIR, d, 'case.json'))).sort() : [];

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'geometry-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the geometry grid', () => {
  test('has the cases and the geometry each is for', () => {
    expect(CASES).toEqual(['conv_8x8', 'conv_9x7', 'inner_product', 'lrn', 'pool_7x7', 'pool_8x8', 'pool_9x6', 'pool_more_11x7', 'pool_more_8x8', 'pool_outside']);
    const all = CASES.flatMap((n) => loadCase(n).layers);
    const shows = (re: RegExp): string[] => all.filter((l) => re.test(l.what)).map((l) => l.name);
    // The situations the grid exists for, each present at least once.
    const pooling = all.filter((l) => l.type === 'Pooling');
    expect(new Set(pooling.map((l) => l.what.split(' ')[0]))).toEqual(new Set(['MAX', 'AVE']));
    expect(shows(/round_mode FLOOR/)).toEqual(expect.arrayContaining(['max_floor_k3_s2_p1', 'ave_floor_k3_s3_p0', 'ave_rect_floor_k3x2_s2x1_p1x0']));
    expect(shows(/global_pooling/)).toEqual(['max_global', 'ave_global', 'max_global', 'ave_global']);
    expect(shows(/dilation (1x3|2x1|2x2|3x3|1x2)/)).toEqual(expect.arrayContaining(['conv_dil_k3x3_d2x1_p0x1', 'conv_dil_k3x2_d1x3_p1x1', 'conv_dw_rect_dil']));
    expect(shows(/group|depthwise/)).toEqual(expect.arrayContaining(['conv_g2', 'conv_g2_s2', 'conv_g2_dil2', 'conv_dw', 'conv_dw_m2_s2']));
    expect(shows(/^axis 2/)).toEqual(['ip_axis2', 'ip_axis2_t', 'ip_axis2_nobias']);
    expect(shows(/WITHIN_CHANNEL/)).toEqual(['lrn_within_3', 'lrn_within_5']);
    // Ceil overhang (CEIL gives one more output than FLOOR) and pad clip (Caffe drops a last
    // window that would start in the padding) both occur, computed from Caffe's own shapes; so do
    // windows wholly past the input, and the clip of an unpadded axis.
    let overhang = 0;
    let clipped = 0;
    let clippedUnpadded = 0;
    const empty = { MAX: 0, AVE: 0 };
    const aveEmpty = new Set<string>();
    for (const n of CASES) {
      const c = loadCase(n);
      for (const l of c.layers) {
        const w = poolWindowOf(l);
        if (w === undefined || !w.ceil) continue;
        // Caffe clips both axes when either is padded (pad_h || pad_w), neither otherwise.
        const padded = w.pad[0] > 0 || w.pad[1] > 0;
        for (const a of [0, 1]) {
          const [size, k, s, p] = [c.input.shape[2 + a], w.kernel[a], w.stride[a], w.pad[a]];
          const ceil = Math.ceil((size + 2 * p - k) / s) + 1;
          const floor = Math.floor((size + 2 * p - k) / s) + 1;
          if (l.shape[2 + a] === ceil - 1 && ceil !== floor) {
            clipped++;
            if (p === 0) clippedUnpadded++;
          } else if (l.shape[2 + a] === ceil && ceil !== floor) overhang++;
          expect([l.name, l.shape[2 + a]]).toEqual([l.name, padded && (ceil - 1) * s >= size + p ? ceil - 1 : ceil]);
        }
        // Caffe's values where a window reads nothing: the -FLT_MAX MAX starts from; AVE's 0
        // divided by the window size clipped at the input's end (0: NaN; negative: -0; both
        // axes negative: +0).
        const idx = emptyWindows(w, c.input.shape, l.shape);
        expect([l.name, idx.length > 0]).toEqual([l.name, /wholly past the input/.test(l.what)]);
        const want = c.caffe.get(l.name)!;
        for (const i of idx) {
          if (w.pool === 'MAX') expect([l.name, i, want[i]]).toEqual([l.name, i, -3.4028234663852886e38]);
          else aveEmpty.add(Number.isNaN(want[i]) ? 'NaN' : Object.is(want[i], -0) ? '-0' : String(want[i]));
        }
        if (idx.length > 0) empty[w.pool]++;
      }
    }
    expect(overhang).toBeGreaterThan(0);
    expect(clipped).toBeGreaterThan(0);
    expect(clippedUnpadded).toBeGreaterThan(0);
    expect(empty.MAX).toBeGreaterThan(0);
    expect(empty.AVE).toBeGreaterThan(0);
    expect([...aveEmpty].sort()).toEqual(['-0', '0', 'NaN']);
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
      const w = l.type === 'Pooling' ? poolWindowOf(l) : undefined;
      const empty = w === undefined ? [] : emptyWindows(w, c.input.shape, l.shape);
      // Windows wholly past the input: Caffe's value exactly (NaN as NaN, the sign of a zero).
      const wrong = empty.filter((i) => !Object.is(g.data[i], want[i]));
      if (wrong.length > 0) failures.push(`${l.name} (${l.what}): ${wrong.length} of ${empty.length} empty windows differ, e.g. ${g.data[wrong[0]]} for Caffe's ${want[wrong[0]]}`);
      // The rest within the tolerance (exactly for MAX), the empty windows left out.
      const { abs, peak } = errorOf(g.data, want, new Set(empty));
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
