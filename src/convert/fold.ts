/**
 * The fold/fuse stage: which in-place layers the layer before them absorbs, from the handlers'
 * hooks (LayerHandler.absorbs, .channelAffine, .fusedActivation), and the NetPlan every emitter
 * consumes.
 *
 * - A per-channel affine run (a leading one, BatchNorm, then at most one following, Scale) in place on the single top of a
 *   layer that absorbs affines is folded into its weights and bias.
 * - An in-place activation that is the next use of such a top (after the folded run) is fused:
 *   the pre-activation value is then no Caffe blob, so no blob is lost. A non-in-place
 *   activation leaves its bottom addressable: not fused.
 */
import { layerHandlers, layerRole, type ChannelFold, type LayerBlob, type LayerShapes } from '../layers';
import type { LayerParameter } from '../schema';
import type { FusedActivation } from '../tfgraph';
import type { BlobRewriter } from './blob-rewriter';
import { caffeBlobOrder, type NetPlan, type PlannedLayer } from './plan';
import type { PreparedNet } from './prepare';

/** The next layer after `from` that reads or writes `blob`, or -1. */
function nextUse(layers: readonly LayerShapes[], from: number, blob: string): number {
  for (let j = from + 1; j < layers.length; j++) if (layers[j].bottoms.includes(blob) || layers[j].tops.includes(blob)) return j;
  return -1;
}

const inPlaceOn = (l: LayerShapes, blob: string): boolean => l.bottoms.length === 1 && l.tops.length === 1 && l.bottoms[0] === blob && l.tops[0] === blob;

/** One bottom, one top, not in place: a layer whose top is its own. */
const ownsTop = (l: LayerShapes): boolean => l.bottoms.length === 1 && l.tops.length === 1 && l.tops[0] !== l.bottoms[0];

/** Affine runs that can be folded: host index -> folded indices. */
function findFolds(layers: readonly LayerShapes[], params: readonly LayerParameter[]): Map<number, number[]> {
  const folds = new Map<number, number[]>();
  layers.forEach((l, i) => {
    if (!(layerHandlers.get(l.type)?.absorbs?.channelAffine ?? false) || !ownsTop(l)) return;
    const t = l.tops[0];
    const channels = l.outputShapes[0][1];
    // One leading affine (BatchNorm), then at most one that follows (Scale).
    const run: number[] = [];
    for (let j = nextUse(layers, i, t); j >= 0 && run.length < 2; j = nextUse(layers, j, t)) {
      const hook = layerHandlers.get(layers[j].type)?.channelAffine;
      if (hook === undefined || !inPlaceOn(layers[j], t) || hook.leads !== (run.length === 0)) break;
      if (!hook.foldable(params[j], layers[j].blobShapes, channels)) break;
      run.push(j);
    }
    if (run.length > 0) folds.set(i, run);
  });
  return folds;
}

/** Activations to fuse: host index -> the activation layer's index and function. */
function findActivations(layers: readonly LayerShapes[], params: readonly LayerParameter[], folds: ReadonlyMap<number, number[]>): Map<number, { index: number; fn: FusedActivation }> {
  const found = new Map<number, { index: number; fn: FusedActivation }>();
  layers.forEach((l, i) => {
    if (!(layerHandlers.get(l.type)?.absorbs?.activation ?? false) || !ownsTop(l)) return;
    const t = l.tops[0];
    const run = folds.get(i) ?? [];
    const j = nextUse(layers, run.length > 0 ? run[run.length - 1] : i, t);
    if (j < 0 || !inPlaceOn(layers[j], t)) return;
    const fn = layerHandlers.get(layers[j].type)?.fusedActivation?.(params[j]);
    if (fn !== undefined) found.set(i, { index: j, fn });
  });
  return found;
}

/**
 * The affine of the folded run after a layer, to fold into its weights and bias:
 * W' = W * m, b' = b * m + s per output channel, m and s from the run's layers in order.
 */
function channelFold(hostBlobs: readonly LayerBlob[], run: { layer: LayerParameter; blobs: readonly LayerBlob[] }[]): ChannelFold {
  const o = hostBlobs[0].shape[0];
  const mul = new Float64Array(o).fill(1);
  const add = new Float64Array(o);
  // Weight matching checked the blobs against the handler's shapes: a second blob is the bias.
  if (hostBlobs.length > 1) for (let c = 0; c < o; c++) add[c] = hostBlobs[1].data[c];
  for (const step of run) {
    const a = layerHandlers.get(step.layer.type ?? '')!.channelAffine!.affine(step.layer, step.blobs);
    for (let c = 0; c < o; c++) {
      mul[c] *= a.mul[c];
      add[c] = add[c] * a.mul[c] + (a.add !== undefined ? a.add[c] : 0);
    }
  }
  return { mul, bias: Float32Array.from(add) };
}

/** The NetPlan of a prepared net and its matched (class-ordered) weights. */
export function planNet(prepared: PreparedNet, weights: ReadonlyMap<string, readonly LayerBlob[]>, rewriteBlob: BlobRewriter, opts: { fuseActivations: boolean }): NetPlan {
  const { params, shapes, inputBlob } = prepared;
  const layers = shapes.layers;
  const folds = findFolds(layers, params);
  const activations = opts.fuseActivations ? findActivations(layers, params, folds) : new Map<number, { index: number; fn: FusedActivation }>();
  const absorbedInto = new Map<number, number>();
  folds.forEach((run, i) => run.forEach((j) => absorbedInto.set(j, i)));
  activations.forEach((a, i) => absorbedInto.set(a.index, i));

  const lastWriter = new Map<string, number>();
  layers.forEach((l, i) => l.tops.forEach((t) => lastWriter.set(t, i)));

  const planned = layers.map((l, i): PlannedLayer => {
    const blobs = weights.get(l.name) ?? [];
    const base = { shapes: l, param: params[i], handler: layerRole(l.type) === 'input' ? undefined : layerHandlers.get(l.type), blobs };
    const host = absorbedInto.get(i);
    if (host !== undefined) return { ...base, absorbedInto: host, groupEnd: i };
    const run = folds.get(i) ?? [];
    const act = activations.get(i);
    const groupEnd = act !== undefined ? act.index : run.length > 0 ? run[run.length - 1] : i;
    return {
      ...base,
      groupEnd,
      ...(run.length > 0
        ? { fold: { layers: run.map((j) => layers[j].name), affine: channelFold(blobs, run.map((j) => ({ layer: params[j], blobs: weights.get(layers[j].name) ?? [] }))) } }
        : {}),
      ...(act !== undefined ? { activation: { layer: layers[act.index].name, fn: act.fn } } : {}),
    };
  });
  return {
    layers: planned,
    inputBlob,
    inputShape: shapes.blobs.get(inputBlob)!,
    outputs: shapes.outputs.filter((b) => b !== inputBlob),
    lastWriter,
    blobOrder: caffeBlobOrder(layers),
    rewriteBlob,
  };
}
