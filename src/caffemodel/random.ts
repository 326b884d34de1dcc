/**
 * Deterministic random weights for any net the layer handlers know, with optional BatchNorm
 * calibration so that deep residual nets give a sane forward pass.
 *
 * Every blob is filled from its own stream (prng.ts: seed, layer name, blob index), so adding a
 * layer does not change the others. Fills (the same rules as the project's Caffe oracle `init`):
 * - Convolution / Deconvolution / InnerProduct weights N(0, sqrt(2 / fan_in)), fan_in = the
 *   weight blob's count from axis 1 (axis 0 for a transposed InnerProduct); biases U(-0.05, 0.05).
 * - BatchNorm: mean U(-0.1, 0.1), variance U(0.5, 1.5), scale factor F (default 1), the stored
 *   statistics multiplied by F.
 * - Scale: gamma U(0.5, 1.5) (one bottom only), beta U(-0.1, 0.1). Bias: U(-0.1, 0.1).
 * - PReLU: slopes 0.25 (Caffe's default filler). Anything else: N(0, 0.05).
 *
 * - Optional `residualGamma: [lo, hi]`: the gamma of each Scale that ends a residual branch is
 *   U(lo, hi) instead (small gamma, as trained nets and zero/small-gamma initialisations have), so
 *   deep random residual nets are not dominated by O(1) branch contributions block after block.
 *   Found structurally (residualBranchScales): the x of an Axpy (a * x + y), or the deeper
 *   operands of an Eltwise SUM, traced back through an SE gate (a Scale with two bottoms).
 *
 * Calibration runs the net once (reference-forward.ts) on an N(0, 1) image drawn from the seed
 * (stream "<calibration input>", 0) or on a given input, and sets each BatchNorm's statistics to
 * the per-channel mean m and variance v of what reaches it: stored mean (m + U(-0.1, 0.1) sqrt(v))
 * F and variance v U(0.5, 1.5) F (streams: layer name, 100 and 101), v floored at 1e-4. Layers
 * with fewer than two values per channel keep their random statistics.
 */
import { WeightsError } from '../errors';
import { type LayerShapes, countOf, inferShapes, inputBlobs } from '../layers';
import type { LayerParameter, NetParameter } from '../schema';
import { Rng } from './prng';
import { type Tensor, referenceForward } from './reference-forward';
import type { BlobData, LayerWeights } from './types';

export interface CalibrateOptions {
  /** Calibration data for the net's single input; default an N(0, 1) tensor drawn from the seed. */
  input?: Float32Array;
}

export interface RandomWeightsOptions {
  /** Non-negative safe integer. */
  seed: number;
  /** Input blob shapes overriding the net's (as inferShapes' option). */
  inputShapes?: Record<string, number[]>;
  /** Set BatchNorm statistics from a forward pass (true: on N(0, 1) data from the seed). */
  calibrate?: boolean | CalibrateOptions;
  /** BatchNorm scale factor F stored in blob 2; the stored statistics are multiplied by F. Default 1. */
  bnScaleFactor?: number;
  /** Gamma range [lo, hi] for the Scale layers that end a residual branch; default: the usual U(0.5, 1.5). */
  residualGamma?: [number, number];
}

function fillNormal(n: number, rng: Rng, sd: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * sd;
  return out;
}

function fillUniform(n: number, rng: Rng, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(lo, hi);
  return out;
}

function blob(shape: number[], data: Float32Array): BlobData {
  return { shape: shape.slice(), legacy: false, data };
}

/** The filled blobs of one layer (before calibration). */
function fillLayer(ls: LayerShapes, bottoms: number, transposeIp: boolean, seed: number, factor: number, gamma: [number, number]): BlobData[] {
  const shapes = ls.blobShapes;
  const stream = (i: number): Rng => new Rng(seed, ls.name, i);
  switch (ls.type) {
    case 'Convolution':
    case 'Deconvolution':
    case 'InnerProduct': {
      const w = shapes[0];
      const fanIn = Math.max(1, transposeIp ? w[0] : countOf(w, 1));
      const out = [blob(w, fillNormal(countOf(w), stream(0), Math.sqrt(2 / fanIn)))];
      for (let i = 1; i < shapes.length; i++) out.push(blob(shapes[i], fillUniform(countOf(shapes[i]), stream(i), -0.05, 0.05)));
      return out;
    }
    case 'BatchNorm': {
      const mean = fillUniform(countOf(shapes[0]), stream(0), -0.1, 0.1);
      const variance = fillUniform(countOf(shapes[1]), stream(1), 0.5, 1.5);
      if (factor !== 1) {
        for (let i = 0; i < mean.length; i++) mean[i] *= factor;
        for (let i = 0; i < variance.length; i++) variance[i] *= factor;
      }
      const f = new Float32Array(countOf(shapes[2]));
      f[0] = factor;
      return [blob(shapes[0], mean), blob(shapes[1], variance), blob(shapes[2], f)];
    }
    case 'Scale':
      return shapes.map((s, i) =>
        blob(s, i === 0 && bottoms === 1 ? fillUniform(countOf(s), stream(i), gamma[0], gamma[1]) : fillUniform(countOf(s), stream(i), -0.1, 0.1)),
      );
    case 'Bias':
      return shapes.map((s, i) => blob(s, fillUniform(countOf(s), stream(i), -0.1, 0.1)));
    case 'PReLU':
      return shapes.map((s) => blob(s, new Float32Array(countOf(s)).fill(0.25)));
    default:
      return shapes.map((s, i) => blob(s, fillNormal(countOf(s), stream(i), 0.05)));
  }
}

/**
 * Random weights for every layer with stored blobs (TEST phase), in net order, with the shapes
 * the layer handlers give. Deterministic: the same net and options give the same bytes.
 */
export function randomWeights(net: NetParameter, opts: RandomWeightsOptions): LayerWeights[] {
  const factor = opts.bnScaleFactor ?? 1;
  if (!Number.isFinite(factor) || factor < 0) throw new RangeError(`bnScaleFactor must be finite and >= 0, not ${factor}`);
  const rg = opts.residualGamma;
  if (rg !== undefined && !(rg.length === 2 && Number.isFinite(rg[0]) && Number.isFinite(rg[1]) && rg[0] <= rg[1])) {
    throw new RangeError(`residualGamma must be two finite numbers lo <= hi, not [${rg.join(', ')}]`);
  }
  const shapes = inferShapes(net, { inputShapes: opts.inputShapes });
  const params = new Map((net.layer ?? []).map((l) => [l.name ?? '', l]));
  const residual = rg === undefined ? new Set<string>() : residualBranchScales(shapes.layers, params);
  const weights: LayerWeights[] = [];
  for (const ls of shapes.layers) {
    if (ls.blobShapes.length === 0) continue;
    const p = params.get(ls.name);
    const transposeIp = ls.type === 'InnerProduct' && (p?.inner_product_param?.transpose ?? false);
    const gamma: [number, number] = rg !== undefined && residual.has(ls.name) ? rg : [0.5, 1.5];
    weights.push({ name: ls.name, type: ls.type, blobs: fillLayer(ls, ls.bottoms.length, transposeIp, opts.seed, factor, gamma) });
  }
  if (opts.calibrate) calibrate(net, shapes, weights, opts.seed, factor, typeof opts.calibrate === 'object' ? opts.calibrate : {});
  return weights;
}

/**
 * Names of the one-bottom Scale layers whose output is a residual branch's contribution to a sum:
 * the x of an Axpy (a * x + y, the SENet release's fused SE + residual add), or, for an Eltwise SUM,
 * the operands with the most Convolution/InnerProduct layers behind them when the operands differ
 * in that depth (a branch has more than its identity or projection shortcut). The operand is traced
 * back to the layer that last wrote it; a Scale with two bottoms (an SE gate x * a) passes on to
 * its x. Anything else (e.g. a ReLU before the sum) ends the trace without a match.
 */
export function residualBranchScales(layers: readonly LayerShapes[], params: ReadonlyMap<string, LayerParameter>): Set<string> {
  const out = new Set<string>();
  const trace = (blobName: string, before: number): void => {
    for (let j = before - 1; j >= 0; j--) {
      const l = layers[j];
      if (!l.tops.includes(blobName)) continue;
      if (l.type !== 'Scale') return;
      if (l.bottoms.length === 1) out.add(l.name);
      else trace(l.bottoms[0], j);
      return;
    }
  };
  const depth = new Map<string, number>();
  layers.forEach((l, i) => {
    const d = Math.max(0, ...l.bottoms.map((b) => depth.get(b) ?? 0));
    if (l.type === 'Axpy' && l.bottoms.length === 3) trace(l.bottoms[1], i);
    if (l.type === 'Eltwise' && (params.get(l.name)?.eltwise_param?.operation ?? 'SUM') === 'SUM') {
      const ds = l.bottoms.map((b) => depth.get(b) ?? 0);
      if (Math.max(...ds) > Math.min(...ds)) l.bottoms.forEach((b, k) => ds[k] === d && trace(b, i));
    }
    const add = l.type === 'Convolution' || l.type === 'Deconvolution' || l.type === 'InnerProduct' ? 1 : 0;
    for (const t of l.tops) depth.set(t, d + add);
  });
  return out;
}

/** The net's single source blob (an Input/data layer top or a legacy input) and its shape. */
function singleInput(shapes: ReturnType<typeof inferShapes>): [string, number[]] {
  const sources = inputBlobs(shapes);
  if (sources.length !== 1) {
    throw new WeightsError('(net)', undefined, `calibration needs a net with exactly one input blob, found ${sources.length} (${sources.map((s) => s[0]).join(', ')})`);
  }
  return sources[0];
}

function calibrate(net: NetParameter, shapes: ReturnType<typeof inferShapes>, weights: LayerWeights[], seed: number, factor: number, opts: CalibrateOptions): void {
  const [inputName, inputShape] = singleInput(shapes);
  const n = countOf(inputShape);
  let data: Float32Array;
  if (opts.input !== undefined) {
    if (opts.input.length !== n) {
      throw new WeightsError('(calibration)', undefined, `input has ${opts.input.length} values but '${inputName}' has shape [${inputShape.join(', ')}] (${n})`);
    }
    data = opts.input;
  } else {
    data = fillNormal(n, new Rng(seed, '<calibration input>', 0), 1);
  }
  const byName = new Map(weights.map((w) => [w.name, w.blobs]));
  const input: Tensor = { shape: inputShape.slice(), data };
  referenceForward(net, {
    inputs: { [inputName]: input },
    weights: byName,
    shapes,
    beforeLayer(ls, _param, bottoms) {
      if (ls.type !== 'BatchNorm') return;
      const x = bottoms[0];
      const N = x.shape[0];
      const C = x.shape.length > 1 ? x.shape[1] : 1;
      const inner = countOf(x.shape) / (N * C);
      if (N * inner < 2) return;
      const blobs = byName.get(ls.name);
      if (blobs === undefined) return;
      const r0 = new Rng(seed, ls.name, 100);
      const r1 = new Rng(seed, ls.name, 101);
      const mean = blobs[0].data;
      const variance = blobs[1].data;
      for (let c = 0; c < C; c++) {
        let s = 0;
        let ss = 0;
        for (let b = 0; b < N; b++) {
          const base = (b * C + c) * inner;
          for (let i = 0; i < inner; i++) {
            const v = x.data[base + i];
            s += v;
            ss += v * v;
          }
        }
        const m = s / (N * inner);
        const v = Math.max(ss / (N * inner) - m * m, 1e-4);
        mean[c] = (m + r0.uniform(-0.1, 0.1) * Math.sqrt(v)) * factor;
        variance[c] = v * r1.uniform(0.5, 1.5) * factor;
      }
    },
  });
}
