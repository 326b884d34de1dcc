/**
 * Shape inference over a whole net, in the order and with the rules of Caffe's Net::Init:
 * layers filtered by the net state (phase, level, stages), blobs looked up by name, in-place
 * tops, and each layer's shape rule from its handler.
 */
import { NetError } from '../errors';
import type { LayerParameter, NetParameter, NetStateRule, Phase } from '../schema';
import { UNKNOWN } from './data';
import { type Shape, countOf, layerName, netError, shapeText } from './handler';
import { handlerFor, layerHandlers } from './registry';

export interface InferOptions {
  /** Default: net.state.phase, else TEST (as Caffe's deploy use). */
  phase?: Phase;
  /** Default: net.state.level, else 0. */
  level?: number;
  /** Default: net.state.stage, else none. */
  stages?: string[];
  /**
   * Shapes for source blobs, by top name: replace an Input layer's (or legacy net input's)
   * shape, and supply what data layers cannot know without their data.
   */
  inputShapes?: Record<string, number[]>;
  /**
   * Read-only views (summary, show): a layer of a type without a handler does not stop the
   * inference; it is marked `unknown: 'type'`, its tops get the shape [UNKNOWN], and every layer
   * fed from them `unknown: 'shape'` (no shapes, params or MACs from there on).
   */
  tolerant?: boolean;
}

export interface LayerShapes {
  name: string;
  type: string;
  bottoms: string[];
  tops: string[];
  inputShapes: Shape[];
  outputShapes: Shape[];
  /** Every stored blob, in Caffe's order (statistics included). */
  blobShapes: Shape[];
  /** Learned parameters: elements of every blob but the statistics. */
  params: number;
  /** Elements of the statistics blobs (BatchNorm's mean, variance and scale factor). */
  stats: number;
  /** Multiply-adds per image (Convolution and InnerProduct only). */
  macs: number;
  /** Tolerant inference only: 'type' for a type without a handler, 'shape' for a layer fed from one. */
  unknown?: 'type' | 'shape';
}

export interface NetShapes {
  name: string;
  /** The layers that take part in this state, in net order. */
  layers: LayerShapes[];
  /** Every blob's shape after the last layer writing it (in-place layers keep the shape). */
  blobs: Map<string, Shape>;
  /** Blobs that no layer consumes: the net's outputs. */
  outputs: string[];
  totals: { params: number; stats: number; macs: number };
  /** Tolerant inference only: the layers of unknown type, and how many layers' shapes are unknown. */
  unknown?: { types: string[]; layers: string[]; shapeless: number };
}

interface NetStateLike {
  phase: Phase;
  level: number;
  stages: readonly string[];
}

/** Caffe's StateMeetsRule. */
export function stateMeetsRule(state: NetStateLike, rule: NetStateRule): boolean {
  if (rule.phase !== undefined && rule.phase !== state.phase) return false;
  if (rule.min_level !== undefined && state.level < rule.min_level) return false;
  if (rule.max_level !== undefined && state.level > rule.max_level) return false;
  if ((rule.stage ?? []).some((s) => !state.stages.includes(s))) return false;
  if ((rule.not_stage ?? []).some((s) => state.stages.includes(s))) return false;
  return true;
}

/** Caffe's FilterNet decision for one layer: any include rule met, or no exclude rule met. */
export function layerIncluded(layer: LayerParameter, state: NetStateLike): boolean {
  const include = layer.include ?? [];
  const exclude = layer.exclude ?? [];
  if (include.length > 0 && exclude.length > 0) {
    throw new NetError(layerName(layer), 'give either include or exclude rules, not both');
  }
  if (include.length > 0) return include.some((r) => stateMeetsRule(state, r));
  return !exclude.some((r) => stateMeetsRule(state, r));
}

/** The legacy net-level inputs (`input` with `input_shape` or four `input_dim`s each). */
function legacyInputs(net: NetParameter): [string, Shape][] {
  const names = net.input ?? [];
  const shapes = net.input_shape ?? [];
  const dims = net.input_dim ?? [];
  if (names.length === 0) {
    if (shapes.length > 0 || dims.length > 0) throw new NetError(undefined, 'input_shape/input_dim given without input names');
    return [];
  }
  if (shapes.length > 0) {
    if (dims.length > 0) throw new NetError(undefined, 'give either input_shape or input_dim, not both');
    if (shapes.length !== names.length) throw new NetError(undefined, `${names.length} inputs need ${names.length} input_shape entries, not ${shapes.length}`);
    return names.map((n, i) => [n, (shapes[i].dim ?? []).map(Number)]);
  }
  if (dims.length !== 4 * names.length) throw new NetError(undefined, `${names.length} inputs need ${4 * names.length} input_dim values, not ${dims.length}`);
  return names.map((n, i) => [n, dims.slice(4 * i, 4 * i + 4)]);
}

/** Replaces a source blob's shape with the caller's, checking the dims the net does know. */
function override(layer: LayerParameter | undefined, top: string, own: Shape, given: number[] | undefined, strict: boolean): Shape {
  if (given === undefined) return own;
  if (given.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new NetError(layer && layerName(layer), `inputShapes['${top}'] ${shapeText(given)} must hold non-negative integers`);
  }
  // Data layers know some dims from their parameters: those must agree (batch excepted).
  // HDF5Data's [batch, ?] does not know its rank; every other source does.
  const rankKnown = !(own.length === 2 && own[1] === UNKNOWN);
  if (strict && rankKnown) {
    if (given.length !== own.length) {
      throw new NetError(layer && layerName(layer), `inputShapes['${top}'] ${shapeText(given)} must have ${own.length} axes like the layer's ${shapeText(own)}`);
    }
    own.forEach((d, i) => {
      if (i > 0 && d !== UNKNOWN && d !== given[i]) {
        throw new NetError(layer && layerName(layer), `inputShapes['${top}'] ${shapeText(given)} disagrees with the layer's ${shapeText(own)}`);
      }
    });
  }
  return given.slice();
}

/**
 * The net's input blobs with their shapes, in net order: the legacy net-level `input`s and the tops
 * first written by a layer without bottoms (Input and the data layers).
 */
export function inputBlobs(shapes: NetShapes): [string, Shape][] {
  const firstWriter = new Map<string, LayerShapes>();
  for (const l of shapes.layers) for (const t of l.tops) if (!firstWriter.has(t)) firstWriter.set(t, l);
  return [...shapes.blobs].filter(([name]) => (firstWriter.get(name)?.bottoms.length ?? 0) === 0);
}

/** A given input shape by blob name: own entries only (a blob may be named 'constructor'). */
function ownShape(shapes: Record<string, Shape> | undefined, name: string): Shape | undefined {
  return shapes !== undefined && Object.prototype.hasOwnProperty.call(shapes, name) ? shapes[name] : undefined;
}

/** Caffe's Blob::Reshape refuses more than INT_MAX values (and no memory holds them anyway). */
const BLOB_MAX = 2 ** 31 - 1;

function checkBlobSizes(layer: LayerParameter, shapes: readonly Shape[], what: string): void {
  shapes.forEach((s, i) => {
    if (s.some((d) => d < 0)) return;
    const n = s.reduce((a, b) => a * b, 1);
    if (n > BLOB_MAX) throw netError(layer, `${what} ${i} would have shape ${shapeText(s)}: ${n} values, more than Caffe's limit of 2^31 - 1 per blob`);
  });
}

export function inferShapes(net: NetParameter, opts: InferOptions = {}): NetShapes {
  const state: NetStateLike = {
    phase: opts.phase ?? net.state?.phase ?? 'TEST',
    level: opts.level ?? net.state?.level ?? 0,
    stages: opts.stages ?? net.state?.stage ?? [],
  };
  if ((net.layers ?? []).length > 0) {
    throw new NetError(undefined, 'this net uses V1 `layers`; upgrade it to `layer` first');
  }
  const blobs = new Map<string, Shape>();
  const consumed = new Set<string>();
  for (const [name, shape] of legacyInputs(net)) {
    if (blobs.has(name)) throw new NetError(undefined, `input '${name}' is given twice`);
    blobs.set(name, override(undefined, name, shape, ownShape(opts.inputShapes, name), false));
  }
  const layers: LayerShapes[] = [];
  const totals = { params: 0, stats: 0, macs: 0 };
  const unknownBlobs = new Set<string>();
  const unknown = { types: [] as string[], layers: [] as string[], shapeless: 0 };
  for (const layer of net.layer ?? []) {
    if (!layerIncluded(layer, state)) continue;
    const name = layerName(layer);
    const bottoms = layer.bottom ?? [];
    const tops = layer.top ?? [];
    if (opts.tolerant) {
      const unknownType = !layerHandlers.has(layer.type ?? '');
      if (unknownType || bottoms.some((b) => unknownBlobs.has(b))) {
        for (const [i, b] of bottoms.entries()) {
          if (!blobs.has(b)) throw netError(layer, `unknown bottom blob '${b}' (bottom ${i}): no earlier layer in this phase produces it`);
          consumed.add(b);
        }
        for (const t of tops) {
          consumed.delete(t);
          unknownBlobs.add(t);
          blobs.set(t, [UNKNOWN]);
        }
        if (unknownType) {
          unknown.layers.push(name);
          if (!unknown.types.includes(layer.type ?? '')) unknown.types.push(layer.type ?? '');
        } else unknown.shapeless++;
        layers.push({
          name, type: layer.type ?? '', bottoms: bottoms.slice(), tops: tops.slice(), inputShapes: bottoms.map((b) => blobs.get(b)!.slice()),
          outputShapes: tops.map(() => [UNKNOWN]), blobShapes: [], params: 0, stats: 0, macs: 0, unknown: unknownType ? 'type' : 'shape',
        });
        continue;
      }
    }
    const handler = handlerFor(layer);
    const arity = (n: number, a: { min: number; max: number }, what: string): void => {
      if (n < a.min || n > a.max) {
        const want = a.min === a.max ? `${a.min}` : a.max === Infinity ? `at least ${a.min}` : `${a.min} to ${a.max}`;
        throw netError(layer, `takes ${want} ${what}, not ${n}`);
      }
    };
    arity(bottoms.length, handler.bottoms, 'bottoms');
    arity(tops.length, handler.tops, 'tops');

    const inputShapes = bottoms.map((b, i) => {
      const s = blobs.get(b);
      if (s === undefined) throw netError(layer, `unknown bottom blob '${b}' (bottom ${i}): no earlier layer in this phase produces it`);
      if (s.includes(UNKNOWN)) {
        throw netError(layer, `bottom '${b}' has shape ${shapeText(s)} that only its data can tell; pass inputShapes['${b}']`);
      }
      consumed.add(b);
      return s;
    });

    tops.forEach((t, i) => {
      const j = bottoms.indexOf(t);
      if (j >= 0) {
        const allowed = handler.inPlaceBottoms ?? (handler.inPlaceOk ? [0] : []);
        if (!allowed.includes(j)) throw netError(layer, `cannot compute in place: top '${t}' is also bottom ${j}`);
        consumed.delete(t);
      } else if (blobs.has(t)) {
        throw netError(layer, `top '${t}' is already produced by an earlier layer`);
      }
      if (tops.indexOf(t) !== i) throw netError(layer, `top '${t}' is listed twice`);
    });

    let outputShapes = handler.outputShapes(layer, inputShapes);
    if (outputShapes.length !== tops.length) {
      throw netError(layer, `produces ${outputShapes.length} tops but lists ${tops.length}`);
    }
    if (bottoms.length === 0) {
      const strict = handler.type !== 'Input';
      outputShapes = outputShapes.map((s, i) => override(layer, tops[i], s, ownShape(opts.inputShapes, tops[i]), strict));
    }
    const blobShapes = handler.blobShapes(layer, inputShapes);
    checkBlobSizes(layer, outputShapes, 'top');
    checkBlobSizes(layer, blobShapes, 'learnable blob');
    const statIdx = handler.statisticBlobs ?? [];
    let params = 0;
    let stats = 0;
    blobShapes.forEach((s, i) => {
      if (statIdx.includes(i)) stats += countOf(s);
      else params += countOf(s);
    });
    const macs = handler.macs(layer, inputShapes, outputShapes);
    tops.forEach((t, i) => blobs.set(t, outputShapes[i]));
    layers.push({
      name,
      type: handler.type,
      bottoms: bottoms.slice(),
      tops: tops.slice(),
      inputShapes: inputShapes.map((s) => s.slice()),
      outputShapes,
      blobShapes,
      params,
      stats,
      macs,
    });
    totals.params += params;
    totals.stats += stats;
    totals.macs += macs;
  }
  const outputs = [...blobs.keys()].filter((b) => !consumed.has(b));
  return { name: net.name ?? '', layers, blobs, outputs, totals, ...(unknown.layers.length > 0 ? { unknown } : {}) };
}
