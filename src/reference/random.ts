/**
 * Deterministic random weights for any net the layer handlers know, with optional BatchNorm
 * calibration so that deep residual nets give a sane forward pass.
 *
 * Every blob is filled from its own stream (prng.ts: seed, layer name, blob index), so adding a
 * layer does not change the others. Each type's fill is its handler's `randomInit` (the same
 * rules as the project's Caffe oracle `init`: Convolution / Deconvolution / InnerProduct He
 * normal weights and U(-0.05, 0.05) biases, BatchNorm random statistics times the scale factor,
 * Scale gamma U(0.5, 1.5) and beta U(-0.1, 0.1), Bias U(-0.1, 0.1), PReLU 0.25); a type without
 * one gets N(0, 0.05) for every blob.
 *
 * - Optional `residualGamma: [lo, hi]`: the gamma of each Scale that ends a residual branch is
 *   U(lo, hi) instead (small gamma, as trained nets and zero/small-gamma initialisations have), so
 *   deep random residual nets are not dominated by O(1) branch contributions block after block.
 *   Found structurally (residualBranchScales): the x of an Axpy (a * x + y), or the deeper
 *   operands of an Eltwise SUM, traced back through an SE gate (a Scale with two bottoms).
 *
 * Calibration runs the net once (forward.ts, float32 mode) on an N(0, 1) image drawn from the
 * seed (stream "<calibration input>", 0) or on a given input, and lets each handler with a
 * `calibrate` rule set its stored blobs from what reaches it (BatchNorm: its statistics from the
 * per-channel mean and variance, streams: layer name, 100 and 101).
 */
import { WeightsError } from '../errors';
import { type LayerShapes, type RandomInitContext, countOf, fillNormal, inferShapes, inputBlobs, layerHandlers } from '../layers';
import type { BlobData, LayerWeights } from '../caffemodel';
import { layerParam, type LayerParameter, type NetParameter } from '../schema';
import { type Tensor, referenceForward } from './forward';
import { Rng } from './prng';

export interface CalibrateOptions {
  /** Calibration data for the net's single input; default an N(0, 1) tensor drawn from the seed. */
  input?: Float32Array;
  /** Progress of the calibration pass: called before each layer runs (a deep net takes a minute). */
  onLayer?: (done: number, total: number, layer: string) => void;
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

const DEFAULT_GAMMA: [number, number] = [0.5, 1.5];

function initContext(ls: LayerShapes, layer: LayerParameter, seed: number, factor: number, gamma: readonly [number, number]): RandomInitContext {
  return {
    layer,
    blobShapes: ls.blobShapes,
    bottoms: ls.bottoms.length,
    stream: (i) => new Rng(seed, ls.name, i),
    bnScaleFactor: factor,
    gamma,
  };
}

/** The filled blobs of one layer (before calibration): its handler's rule, else N(0, 0.05). */
function fillLayer(ls: LayerShapes, ctx: RandomInitContext): BlobData[] {
  const rule = layerHandlers.get(ls.type)?.randomInit;
  const values = rule !== undefined ? rule(ctx) : ls.blobShapes.map((s, i) => fillNormal(countOf(s), ctx.stream(i), 0.05));
  return ls.blobShapes.map((s, i) => ({ shape: s.slice(), legacy: false, data: values[i] }));
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
  const contexts = new Map<string, RandomInitContext>();
  for (const ls of shapes.layers) {
    if (ls.blobShapes.length === 0) continue;
    const p = params.get(ls.name) ?? { name: ls.name, type: ls.type };
    const gamma = rg !== undefined && residual.has(ls.name) ? rg : DEFAULT_GAMMA;
    const ctx = initContext(ls, p, opts.seed, factor, gamma);
    contexts.set(ls.name, ctx);
    weights.push({ name: ls.name, type: ls.type, blobs: fillLayer(ls, ctx) });
  }
  if (opts.calibrate) calibrate(net, shapes, weights, contexts, opts.seed, typeof opts.calibrate === 'object' ? opts.calibrate : {});
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
    if (l.type === 'Eltwise' && layerParam(params.get(l.name) ?? {}, 'eltwise_param').operation === 'SUM') {
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

function calibrate(
  net: NetParameter,
  shapes: ReturnType<typeof inferShapes>,
  weights: LayerWeights[],
  contexts: ReadonlyMap<string, RandomInitContext>,
  seed: number,
  opts: CalibrateOptions,
): void {
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
  let done = 0;
  referenceForward(net, {
    inputs: { [inputName]: input },
    weights: byName,
    shapes,
    beforeLayer(ls, _param, bottoms) {
      opts.onLayer?.(done++, shapes.layers.length, ls.name);
      const rule = layerHandlers.get(ls.type)?.calibrate;
      const blobs = byName.get(ls.name);
      const ctx = contexts.get(ls.name);
      if (rule !== undefined && blobs !== undefined && ctx !== undefined) rule(ctx, bottoms, blobs);
    },
  });
}
