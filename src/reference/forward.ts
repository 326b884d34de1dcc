/**
 * The project's one plain-loop NCHW forward pass with Caffe's TEST-phase semantics. It calibrates
 * random BatchNorm statistics (random.ts) and is the semantic reference the converter and parity
 * tests compare against (test/convert, test/parity). Shapes come from the layer handlers
 * (inferShapes); each type's kernel is its handler's `forward` (src/layers/reference-api.ts says
 * what a kernel may rely on); this module only runs them in net order.
 *
 * Numeric mode (`numeric`): FLOAT32 (default) stores every blob as float32 with the exact orders
 * and roundings the calibrated fixture weights depend on (their sha256 is checked by
 * test/parity); FLOAT64 computes the same net with no float32 rounding anywhere.
 */
import { UnsupportedLayerError, WeightsError } from '../errors';
import { FLOAT32, type LayerShapes, type NetShapes, type NumericPolicy, type Tensor, type Values, countOf, inferShapes, layerHandlers } from '../layers';
import type { LayerParameter, NetParameter } from '../schema';

export type { Tensor, Values };

export interface ReferenceForwardOptions<D extends Values = Float32Array> {
  /** One tensor per net input (Input layer top or legacy input), by blob name. */
  inputs: Record<string, Tensor<Values>>;
  /**
   * Stored blobs by layer name, in Caffe's order (BlobData fits). Read when a layer runs, so a hook
   * may change them just before.
   */
  weights: ReadonlyMap<string, readonly Tensor<Values>[]>;
  /** Numeric mode; default FLOAT32. */
  numeric?: NumericPolicy<D>;
  /** Called before a layer computes, with its bottoms (e.g. to calibrate BatchNorm statistics). */
  beforeLayer?: (layer: LayerShapes, param: LayerParameter, bottoms: Tensor<D>[]) => void;
  /** Called after a layer computed, with its tops. */
  afterLayer?: (layer: LayerShapes, param: LayerParameter, tops: Tensor<D>[]) => void;
  /** Shapes from a previous inferShapes call with the same inputs (saves recomputing them). */
  shapes?: NetShapes;
  /**
   * Blobs to keep in the result; the others are dropped after their last use (memory stays
   * bounded on deep nets). Default: every blob.
   */
  keep?: (blob: string) => boolean;
}

/** The input in the policy's storage (the same tensor when it already is). */
function stored<D extends Values>(t: Tensor<Values>, num: NumericPolicy<D>): Tensor<D> {
  const probe = num.alloc(0);
  if (t.data.constructor === probe.constructor) return t as Tensor<D>;
  const data = num.alloc(t.data.length);
  data.set(t.data);
  return { shape: t.shape.slice(), data };
}

/** For each layer index, the blobs whose last reader (or writer) it is. */
function lastUses(layers: readonly LayerShapes[]): Map<number, string[]> {
  const last = new Map<string, number>();
  layers.forEach((l, i) => {
    for (const b of l.bottoms) last.set(b, i);
    for (const t of l.tops) last.set(t, i);
  });
  const out = new Map<number, string[]>();
  for (const [b, i] of last) out.set(i, [...(out.get(i) ?? []), b]);
  return out;
}

/**
 * Runs the net (layers of the TEST phase unless net.state says otherwise, as inferShapes); returns
 * every blob after the last layer that wrote it (in-place layers replace their bottom), as Caffe's
 * blob dump shows them. Caffe's automatic split blobs are not made. Data layer tops not given in
 * `inputs` (labels) and the tops of losses, Accuracy and Silence get no value.
 */
export function referenceForward(net: NetParameter, opts: ReferenceForwardOptions<Float32Array>): Map<string, Tensor<Float32Array>>;
export function referenceForward<D extends Values>(net: NetParameter, opts: ReferenceForwardOptions<D> & { numeric: NumericPolicy<D> }): Map<string, Tensor<D>>;
export function referenceForward<D extends Values>(net: NetParameter, opts: ReferenceForwardOptions<D>): Map<string, Tensor<D>> {
  const num = (opts.numeric ?? FLOAT32) as NumericPolicy<D>;
  const inputShapes: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(opts.inputs)) inputShapes[k] = t.shape;
  const shapes = opts.shapes ?? inferShapes(net, { inputShapes });
  const params = new Map<string, LayerParameter>();
  for (const l of net.layer ?? []) if (l.name !== undefined && !params.has(l.name)) params.set(l.name, l);
  const blobs = new Map<string, Tensor<D>>();
  for (const [k, t] of Object.entries(opts.inputs)) blobs.set(k, stored(t, num));
  const drop = opts.keep === undefined ? undefined : lastUses(shapes.layers);
  const alloc = (shape: readonly number[]): Tensor<Values> => ({ shape: shape.slice(), data: num.alloc(countOf(shape)) });
  shapes.layers.forEach((ls, index) => {
    const param = params.get(ls.name) ?? { name: ls.name, type: ls.type };
    const h = layerHandlers.get(ls.type);
    // Losses, Accuracy and Silence compute nothing a deploy net would use: their tops get no value.
    const role = h?.role ?? 'computed';
    if (h === undefined || role === 'train-only' || role === 'dropped') return;
    if (role === 'input' || role === 'data') {
      // A data layer's first top is the image; later ones are labels that only feed losses.
      ls.tops.forEach((t, i) => {
        if (!blobs.has(t) && (role === 'input' || i === 0)) throw new WeightsError(ls.name, undefined, `no input given for '${t}'`);
      });
    } else {
      const bottoms = ls.bottoms.map((b) => {
        const t = blobs.get(b);
        if (t === undefined) throw new WeightsError(ls.name, undefined, `bottom '${b}' has no value (is it an input without data?)`);
        return t;
      });
      opts.beforeLayer?.(ls, param, bottoms);
      const weights = opts.weights.get(ls.name) ?? [];
      if (weights.length < ls.blobShapes.length) {
        throw new WeightsError(ls.name, weights.length, `needs ${ls.blobShapes.length} blobs, got ${weights.length}`);
      }
      if (h.forward === undefined) throw new UnsupportedLayerError(ls.name, ls.type, 'is not supported by the reference forward pass');
      const tops = h.forward({ layer: param, bottoms, blobs: weights, outputShapes: ls.outputShapes, num, alloc }) as Tensor<D>[];
      ls.tops.forEach((t, i) => blobs.set(t, tops[i]));
      opts.afterLayer?.(ls, param, tops);
    }
    if (drop !== undefined) for (const b of drop.get(index) ?? []) if (!opts.keep!(b)) blobs.delete(b);
  });
  return blobs;
}
