/**
 * convertNet: an (upgraded) Caffe net plus its weights -> a GraphBuilder holding the TEST-phase
 * forward pass, NHWC inside, every Caffe blob addressable by its name (the value after the last
 * layer writing it, as in a Caffe blob dump).
 */
import { NetError, UnsupportedLayerError, UsageError } from '../errors';
import {
  batchNormAffine,
  checkGlobalStats,
  fusableActivation,
  inferShapes,
  layerHandlers,
  layerIncluded,
  type ChannelFold,
  type ConvertContext,
  type ConvertFn,
  type LayerBlob,
  type LayerShapes,
  type Shape,
} from '../layers';
import { classifierPermutation, permuteClassifier, type LabelOrder } from '../imagenet';
import type { LayerParameter, NetParameter } from '../schema';
import { GraphBuilder, type FusedActivation, type ModelMetadata, type PreprocessingInfo, type TensorRef, type WeightSource } from '../tfgraph';
import { FileBlob, matchLayerBlobs, type WeightsInput } from './feed';
import { layoutHelpers } from './layout';

/** Layer types whose tops come from data files: replaced by the graph input in TEST. */
export const DATA_LAYER_TYPES: ReadonlySet<string> = new Set([
  'Data', 'ImageData', 'HDF5Data', 'MemoryData', 'WindowData', 'DummyData', 'VideoData', 'AnnotatedData',
]);

/** Layer types with no part in inference (dropped). */
function isDropped(type: string): boolean {
  return type.endsWith('Loss') || type === 'Accuracy' || type === 'Silence';
}

export interface ConvertProgress {
  done: number;
  total: number;
  layer: string;
}

export interface ConvertNetOptions {
  /** The net, already upgraded to the current format (see src/upgrade). */
  net: NetParameter;
  /**
   * A loaded caffemodel, or an indexed one whose big weights are then read and transformed only
   * when the graph's weights are written (see feed.ts): keep its reader open until then.
   */
  weights: WeightsInput;
  /** N,C,H,W of the input; required for nets whose input is a data layer, overrides Input shapes. */
  inputShape?: number[];
  phase?: 'TEST';
  /** Per-channel mean (input channel order) to record in the metadata. */
  mean?: number[];
  /** Scale (after mean subtraction) to record in the metadata. */
  scale?: number;
  /**
   * Channel order of a 3-channel input to record, overriding the default (BGR, Caffe's
   * convention, for the official SENets and nets whose data layer has a transform_param).
   */
  channelOrder?: 'BGR' | 'RGB';
  /**
   * Class order the converted model outputs. The 1000-way classifier (see findClassifier) is
   * permuted when it differs from `weightsLabels`; recorded as metadata `extra.labelOrder`.
   * Default: `weightsLabels` when given, else 'senet' for the official SENets, else nothing.
   */
  labels?: LabelOrder;
  /** Class order of the caffemodel's classifier. Default: 'senet' for the official SENets, else 'standard' (Caffe's). */
  weightsLabels?: LabelOrder;
  onProgress?: (p: ConvertProgress) => void;
  /**
   * The caller hands the weights over: layers may overwrite their blobs' memory with the converted
   * weights (transposed in place through a reused scratch buffer), so a big model is held once,
   * not twice. The Caffemodel's blob data is garbage afterwards.
   */
  consumeWeights?: boolean;
}

export interface ConvertedNet {
  graph: GraphBuilder;
  metadata: ModelMetadata;
  /** Per-layer shapes of the converted (TEST-phase) net. */
  layers: LayerShapes[];
  /** Caffe blob name -> graph tensor. */
  blobs: Map<string, TensorRef>;
  /** Names of the layers folded into a preceding convolution. */
  folded: string[];
  /** Names of the activation layers fused into a preceding Convolution or InnerProduct. */
  fused: string[];
  /** The class order recorded, when one is: the classifier layer and whether it was permuted (from -> to). */
  labels?: { classifier: string; from: LabelOrder; to: LabelOrder };
}

const sanitize = (s: string): string => s.replace(/[:^]/g, '_');

/** The net as it runs in TEST: rules applied, data layers -> Input, losses/accuracy dropped. */
function testNet(net: NetParameter, inputShape: number[] | undefined): { layers: LayerParameter[]; inputBlob: string; pre: PreprocessingInfo | undefined } {
  const state = { phase: 'TEST' as const, level: net.state?.level ?? 0, stages: net.state?.stage ?? [] };
  const kept: LayerParameter[] = [];
  const inputs: string[] = [];
  let pre: PreprocessingInfo | undefined;
  // Legacy net-level inputs (an un-upgraded net): made into Input layers.
  (net.input ?? []).forEach((name, i) => {
    const dims = net.input_shape?.[i]?.dim ?? net.input_dim?.slice(4 * i, 4 * i + 4) ?? [];
    kept.push({ name: `input_${sanitize(name)}`, type: 'Input', top: [name], input_param: { shape: [{ dim: dims.map(Number) }] } });
    inputs.push(name);
  });
  for (const layer of net.layer ?? []) {
    if (!layerIncluded(layer, state)) continue;
    const type = layer.type ?? '';
    if (isDropped(type)) continue;
    const clean: LayerParameter = { ...layer, include: undefined, exclude: undefined };
    if (DATA_LAYER_TYPES.has(type)) {
      const top = (layer.top ?? [])[0];
      if (top === undefined) continue;
      if (inputShape === undefined) {
        throw new UsageError(`layer '${layer.name}' (${type}) reads its data from files; give the input shape with --input-shape N,C,H,W`);
      }
      const t = layer.transform_param;
      if (t !== undefined && pre === undefined) {
        pre = {};
        if ((t.mean_value ?? []).length > 0) pre.mean = [...(t.mean_value ?? [])];
        if (t.scale !== undefined) pre.scale = t.scale;
        if (t.crop_size !== undefined && t.crop_size > 0) pre.cropSize = [t.crop_size, t.crop_size];
      }
      kept.push({ name: layer.name, type: 'Input', top: [top], input_param: { shape: [{ dim: inputShape }] } });
      inputs.push(top);
      continue;
    }
    if (type === 'Input') inputs.push(...(layer.top ?? []));
    kept.push(clean);
  }
  if (inputs.length !== 1) {
    throw new NetError(undefined, inputs.length === 0 ? 'the net has no input (no Input or data layer in the TEST phase)' : `the net has ${inputs.length} inputs (${inputs.join(', ')}); only one is supported`);
  }
  return { layers: kept, inputBlob: inputs[0], pre };
}

/** The next layer after `from` that reads or writes `blob`, or -1. */
function nextUse(layers: readonly LayerShapes[], from: number, blob: string): number {
  for (let j = from + 1; j < layers.length; j++) if (layers[j].bottoms.includes(blob) || layers[j].tops.includes(blob)) return j;
  return -1;
}

const inPlaceOn = (l: LayerShapes, blob: string): boolean => l.bottoms.length === 1 && l.tops.length === 1 && l.bottoms[0] === blob && l.tops[0] === blob;

/** Conv + in-place BatchNorm (+ in-place per-channel Scale) runs that can be folded: conv index -> folded indices. */
function findFolds(layers: LayerShapes[], params: LayerParameter[]): Map<number, number[]> {
  const folds = new Map<number, number[]>();
  layers.forEach((l, i) => {
    if (l.type !== 'Convolution' || l.bottoms.length !== 1 || l.tops.length !== 1 || l.tops[0] === l.bottoms[0]) return;
    const t = l.tops[0];
    const j = nextUse(layers, i, t);
    if (j < 0 || layers[j].type !== 'BatchNorm' || !inPlaceOn(layers[j], t)) return;
    if (params[j].batch_norm_param?.use_global_stats === false) return;
    const run = [j];
    const k = nextUse(layers, j, t);
    if (k >= 0 && layers[k].type === 'Scale' && inPlaceOn(layers[k], t)) {
      const c = l.outputShapes[0][1];
      const ax = params[k].scale_param?.axis ?? 1;
      const b = layers[k].blobShapes;
      if ((ax === 1 || ax === -3) && b.length >= 1 && b[0].length === 1 && b[0][0] === c) run.push(k);
    }
    folds.set(i, run);
  });
  return folds;
}

/**
 * Activations to fuse into the Convolution or InnerProduct before them: layer index -> the
 * activation layer's index and function. Only an in-place activation that is the next use of
 * the layer's top (after the folded layers): the pre-activation value is then no Caffe blob, so
 * no blob is lost. A non-in-place activation leaves the top addressable: not fused.
 */
function findActivations(layers: LayerShapes[], params: LayerParameter[], folds: ReadonlyMap<number, number[]>): Map<number, { index: number; activation: FusedActivation }> {
  const found = new Map<number, { index: number; activation: FusedActivation }>();
  layers.forEach((l, i) => {
    if ((l.type !== 'Convolution' && l.type !== 'InnerProduct') || l.bottoms.length !== 1 || l.tops.length !== 1 || l.tops[0] === l.bottoms[0]) return;
    const t = l.tops[0];
    const run = folds.get(i) ?? [];
    const j = nextUse(layers, run.length > 0 ? run[run.length - 1] : i, t);
    if (j < 0 || !inPlaceOn(layers[j], t)) return;
    const activation = fusableActivation(params[j]);
    if (activation !== undefined) found.set(i, { index: j, activation });
  });
  return found;
}

/** The conversion targets; each layer handler has one conversion function per target. */
export type ConvertTarget = 'tfjs' | 'onnx';

const TARGET_NAME: Record<ConvertTarget, string> = { tfjs: 'TF.js', onnx: 'ONNX' };

/**
 * What every target's emitter starts from: the TEST net, its shapes, its matched weights (the
 * classifier permuted when asked) and the BatchNorm/Scale runs to fold into convolutions.
 */
export interface PreparedNet {
  net: NetParameter;
  /** The TEST net's layers (data layers made Input), parallel to `layers`. */
  params: LayerParameter[];
  layers: LayerShapes[];
  inputBlob: string;
  inShape: Shape;
  /** The net's output blobs (not the input). */
  outputs: string[];
  weights: Map<string, LayerBlob[]>;
  labels: ConvertedNet['labels'];
  /** Conv index -> indices of the in-place BatchNorm (and Scale) folded into it. */
  folds: Map<number, number[]>;
  /** The last layer writing each blob: its value carries the blob's name. */
  lastWriter: Map<string, number>;
  preprocessing: PreprocessingInfo | undefined;
}

/** Prepares the net for `target`: every layer type must convert to it before anything else happens. */
export function prepareNet(opts: ConvertNetOptions, target: ConvertTarget): PreparedNet {
  const { net } = opts;
  if (opts.inputShape !== undefined && (opts.inputShape.length < 1 || opts.inputShape.some((d) => !Number.isInteger(d) || d <= 0))) {
    throw new UsageError(`input shape [${opts.inputShape}] must be positive integers (N,C,H,W)`);
  }
  const { layers: params, inputBlob, pre } = testNet(net, opts.inputShape);
  for (const l of params) {
    const type = l.type ?? '';
    if (type === 'Input') continue;
    const h = layerHandlers.get(type);
    if ((target === 'tfjs' ? h?.convert : h?.onnx) === undefined) {
      throw new UnsupportedLayerError(l.name ?? '(unnamed)', type, type === '' ? 'has no type' : `cannot be converted to ${TARGET_NAME[target]}`);
    }
  }
  const shapes = inferShapes({ ...net, layer: params, layers: undefined, input: undefined, input_shape: undefined, input_dim: undefined }, {
    phase: 'TEST',
    inputShapes: opts.inputShape !== undefined ? { [inputBlob]: opts.inputShape } : undefined,
  });
  const layers = shapes.layers;
  const byName = new Map(layers.map((l) => [l.name, l]));
  const weights = matchLayerBlobs(layers.map((l) => ({ name: l.name, type: l.type })), opts.weights, (n) => byName.get(n)?.blobShapes);
  const labels = applyLabelOrder(net, opts, layers, params, shapes.outputs, weights);
  const lastWriter = new Map<string, number>();
  layers.forEach((l, i) => l.tops.forEach((t) => lastWriter.set(t, i)));
  const inShape = shapes.blobs.get(inputBlob)!;
  const outputs = shapes.outputs.filter((b) => b !== inputBlob);
  if (outputs.length === 0) throw new NetError(undefined, 'the net has no outputs in the TEST phase');
  return {
    net,
    params,
    layers,
    inputBlob,
    inShape,
    outputs,
    weights,
    labels,
    folds: findFolds(layers, params),
    lastWriter,
    preprocessing: preprocessingFor(net, opts, pre, inShape),
  };
}

/** The affine folded into convolution `i` (undefined when nothing is folded into it). */
export function foldFor(p: PreparedNet, i: number): ChannelFold | undefined {
  const run = p.folds.get(i) ?? [];
  if (run.length === 0) return undefined;
  return channelFold(p.weights.get(p.layers[i].name) ?? [], run.map((j) => ({ layer: p.params[j], blobs: p.weights.get(p.layers[j].name) ?? [] })));
}

export function convertNet(opts: ConvertNetOptions): ConvertedNet {
  const prepared = prepareNet(opts, 'tfjs');
  const { params, layers, inputBlob, weights, labels, lastWriter, inShape, outputs } = prepared;
  const converters = params.map((l): ConvertFn | undefined => (l.type === 'Input' ? undefined : layerHandlers.get(l.type ?? '')?.convert));

  const rewriteBlob = blobRewriter(opts.consumeWeights ?? false, weights);

  const folds = prepared.folds;
  const foldedInto = new Map<number, number>();
  folds.forEach((run, i) => run.forEach((j) => foldedInto.set(j, i)));
  const activations = findActivations(layers, params, folds);
  activations.forEach((a, i) => foldedInto.set(a.index, i));

  const reserved = new Set([...lastWriter.keys()].map(sanitize));

  const g = new GraphBuilder();
  const layout = layoutHelpers(g);
  const fresh = (base: string): string => {
    const b = sanitize(base);
    let n = b;
    for (let i = 1; g.hasNode(n) || reserved.has(n); i++) n = `${b}_${i}`;
    return n;
  };
  const finalName = (blob: string): string => {
    const n = sanitize(blob);
    return g.hasNode(n) ? fresh(`${n}/value`) : n;
  };

  const blobs = new Map<string, TensorRef>();
  const folded: string[] = [];
  const fused: string[] = [];
  const total = layers.length;
  layers.forEach((l, i) => {
    opts.onProgress?.({ done: i, total, layer: l.name });
    if (foldedInto.has(i)) return;
    const p = params[i];
    if (l.type === 'Input') {
      const s = l.outputShapes[0];
      const tfShape = s.length === 4 ? [-1, s[2], s[3], s[1]] : [-1, ...s.slice(1)];
      const name = lastWriter.get(l.tops[0]) === i ? finalName(l.tops[0]) : fresh(`${l.tops[0]}/input`);
      blobs.set(l.tops[0], g.placeholder(name, tfShape));
      return;
    }
    const run = folds.get(i) ?? [];
    const act = activations.get(i);
    const groupEnd = act !== undefined ? act.index : run.length > 0 ? run[run.length - 1] : i;
    const outNames = new Map<number, string>();
    const own = weights.get(l.name) ?? [];
    const fold = foldFor(prepared, i);
    const ctx: ConvertContext = {
      g,
      layer: p,
      inputs: l.bottoms.map((b) => blobs.get(b)!),
      inputShapes: l.inputShapes,
      outputShapes: l.outputShapes,
      blobs: own,
      ...(fold !== undefined ? { fold } : {}),
      ...(act !== undefined ? { activation: act.activation } : {}),
      layout,
      rewriteBlob: (k, fill) => rewriteBlob(own[k], fill),
      name: (part) => fresh(`${l.name}/${part}`),
      outName: (k) => {
        let n = outNames.get(k);
        if (n === undefined) {
          const top = l.tops[k];
          n = lastWriter.get(top) === groupEnd ? finalName(top) : fresh(`${l.name}/${l.tops.length === 1 ? 'out' : `out${k}`}`);
          outNames.set(k, n);
        }
        return n;
      },
    };
    const outs = converters[i]!(ctx);
    folded.push(...run.map((j) => layers[j].name));
    if (act !== undefined) fused.push(layers[act.index].name);
    l.tops.forEach((t, k) => blobs.set(t, outs[k]));
  });
  opts.onProgress?.({ done: total, total, layer: '' });

  const blobToTensor: Record<string, string> = {};
  for (const [name, t] of blobs) blobToTensor[name] = t.ref;
  for (const o of outputs) g.output(blobs.get(o)!, sanitize(o));

  const metadata: ModelMetadata = {
    senetMetadataVersion: 1,
    inputName: blobs.get(inputBlob)!.node,
    inputLayout: inShape.length === 4 ? 'NHWC' : 'NCHW',
    inputShape: [-1, ...inShape.slice(1)],
    tensorLayout: 'NHWC',
    outputNames: outputs,
    blobToTensor,
    extra: { blobOrder: caffeBlobOrder(layers).filter((b) => blobs.has(b)) },
  };
  if (labels !== undefined) metadata.extra!.labelOrder = labels.to;
  if (prepared.preprocessing !== undefined) metadata.preprocessing = prepared.preprocessing;
  return { graph: g, metadata, layers, blobs, folded, fused, ...(labels !== undefined ? { labels } : {}) };
}

/** Blob names in the order Caffe creates them (and a blob dump lists them): first appearance as a top. */
export function caffeBlobOrder(layers: readonly { tops: readonly string[] }[]): string[] {
  const seen = new Set<string>();
  for (const l of layers) for (const t of l.tops) seen.add(t);
  return [...seen];
}

/**
 * The net's ImageNet classifier: the InnerProduct whose output the output Softmax reads, else the
 * last InnerProduct; undefined unless it has 1000 outputs.
 */
export function findClassifier(layers: readonly LayerShapes[], params: readonly LayerParameter[], outputs: readonly string[]): number | undefined {
  const isFc = (i: number): boolean => layers[i].type === 'InnerProduct';
  let found: number | undefined;
  const outs = new Set(outputs);
  for (let i = layers.length - 1; i >= 0 && found === undefined; i--) {
    const l = layers[i];
    if (l.type !== 'Softmax' || l.bottoms.length !== 1 || !l.tops.some((t) => outs.has(t))) continue;
    for (let j = i - 1; j >= 0; j--) {
      if (!layers[j].tops.includes(l.bottoms[0])) continue;
      if (isFc(j)) found = j;
      break;
    }
  }
  if (found === undefined) {
    for (let i = layers.length - 1; i >= 0; i--) {
      if (isFc(i)) {
        found = i;
        break;
      }
    }
  }
  return found !== undefined && params[found].inner_product_param?.num_output === 1000 ? found : undefined;
}

/** Decides the recorded class order and permutes the classifier's blobs in `weights` when asked to. */
function applyLabelOrder(
  net: NetParameter,
  opts: ConvertNetOptions,
  layers: readonly LayerShapes[],
  params: readonly LayerParameter[],
  outputs: readonly string[],
  weights: Map<string, LayerBlob[]>,
): ConvertedNet['labels'] {
  const official = isOfficialSenet(net);
  const c = findClassifier(layers, params, outputs);
  if (c === undefined) {
    const flag = opts.labels !== undefined ? '--labels' : opts.weightsLabels !== undefined ? '--weights-labels' : undefined;
    if (flag !== undefined) {
      throw new UsageError(`${flag} needs a 1000-way ImageNet classifier (an InnerProduct with num_output: 1000 feeding the output Softmax, or the last InnerProduct); net '${net.name ?? ''}' has none`);
    }
    return undefined;
  }
  const from = opts.weightsLabels ?? (official ? 'senet' : 'standard');
  const to = opts.labels ?? opts.weightsLabels ?? (official ? 'senet' : undefined);
  if (to === undefined) return undefined;
  const name = layers[c].name;
  if (from !== to) {
    const blobs = weights.get(name);
    if (blobs === undefined || blobs.length === 0) throw new UsageError(`classifier '${name}' has no weights to reorder`);
    const transpose = params[c].inner_product_param?.transpose ?? false;
    const k = blobs[0].data.length / 1000;
    // As 2-D whatever the stored (possibly legacy 4-D) shape; the shapes are put back after.
    const permuted = permuteClassifier(
      {
        weight: { data: blobs[0].data, shape: transpose ? [k, 1000] : [1000, k] },
        ...(blobs.length > 1 ? { bias: { data: blobs[1].data, shape: blobs[1].shape } } : {}),
      },
      classifierPermutation(from, to),
      transpose,
    );
    const out: LayerBlob[] = [{ shape: blobs[0].shape, data: permuted.weight.data }];
    if (permuted.bias !== undefined) out.push({ shape: blobs[1].shape, data: permuted.bias.data });
    weights.set(name, [...out, ...blobs.slice(out.length)]);
  }
  return { classifier: name, from, to };
}

/** The official SENet releases: net names starting with SE- or SENet. */
export function isOfficialSenet(net: NetParameter): boolean {
  return /^(SE-|SENet)/.test(net.name ?? '');
}

function preprocessingFor(net: NetParameter, opts: ConvertNetOptions, pre: PreprocessingInfo | undefined, inShape: Shape): PreprocessingInfo | undefined {
  const out: PreprocessingInfo = { ...(pre ?? {}) };
  const channels = inShape.length === 4 ? inShape[1] : undefined;
  // A data layer's transform_param: Caffe's image pipeline (OpenCV) hands it BGR.
  if (pre !== undefined && out.channelOrder === undefined) {
    if (channels === 3) out.channelOrder = 'BGR';
    else if (channels === 1) out.channelOrder = 'GRAY';
  }
  // The official SENet prototxts state `# mean_value: 104, 117, 123` in a comment only.
  if (isOfficialSenet(net) && out.mean === undefined) {
    out.mean = [104, 117, 123];
    out.channelOrder = 'BGR';
    out.inputRange = [0, 255];
  }
  if (opts.mean !== undefined) {
    if (inShape.length >= 2 && opts.mean.length !== 1 && opts.mean.length !== inShape[1]) {
      throw new UsageError(`--mean has ${opts.mean.length} values but the input has ${inShape[1]} channels`);
    }
    out.mean = [...opts.mean];
  }
  if (opts.scale !== undefined) out.scale = opts.scale;
  if (opts.channelOrder !== undefined) {
    if (channels !== 3) throw new UsageError(`--channel-order ${opts.channelOrder.toLowerCase()} needs a 3-channel NCHW input; the input is [${inShape.join(', ')}]`);
    out.channelOrder = opts.channelOrder;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * ConvertContext.rewriteBlob. Owning the weights, a blob is overwritten with its converted form
 * through one reused scratch buffer: no fresh memory per weight (first touches of fresh memory
 * dominate on some VMs) and no second copy of the model. Blobs whose memory more than one layer
 * sees are never overwritten.
 */
type Fill = (src: Float32Array, out: Float32Array) => void;

function blobRewriter(consume: boolean, weights: ReadonlyMap<string, readonly LayerBlob[]>): (blob: LayerBlob, fill: Fill) => Float32Array | WeightSource {
  const fresh = (blob: LayerBlob, fill: Fill): Float32Array => {
    const out = new Float32Array(blob.data.length);
    fill(blob.data, out);
    return out;
  };
  // Still in the file: transformed when written, straight into the shard writer's buffer.
  const deferred = (blob: LayerBlob): blob is FileBlob => blob instanceof FileBlob && !blob.loaded;
  if (!consume) return (blob, fill) => (deferred(blob) ? blob.deferred(fill) : fresh(blob, fill));
  const seen = new Set<Float32Array>();
  const shared = new Set<Float32Array>();
  for (const blobs of weights.values()) {
    for (const b of blobs) if (!(b instanceof FileBlob)) (seen.has(b.data) ? shared : seen).add(b.data);
  }
  const done = new Set<Float32Array>();
  let scratch = new Float32Array(0);
  return (blob, fill) => {
    if (deferred(blob)) return blob.deferred(fill);
    // Blobs read from the file on demand are the converter's own, but small: copy them.
    if (blob instanceof FileBlob || shared.has(blob.data)) return fresh(blob, fill);
    // A second request would convert the converted data; handlers ask once per blob.
    if (done.has(blob.data)) throw new Error('internal: a weight blob was rewritten twice');
    done.add(blob.data);
    const n = blob.data.length;
    if (scratch.length < n) scratch = new Float32Array(n);
    const out = scratch.subarray(0, n);
    fill(blob.data, out);
    blob.data.set(out);
    return blob.data;
  };
}

/**
 * The affine of the in-place BatchNorm (and Scale) after a convolution, to fold into its weights
 * and bias: W' = W * m, b' = b * m + s per output channel, m and s from BN (and Scale).
 */
function channelFold(convBlobs: readonly LayerBlob[], run: { layer: LayerParameter; blobs: readonly LayerBlob[] }[]): ChannelFold {
  const o = convBlobs[0].shape[0];
  const mul = new Float64Array(o).fill(1);
  const add = new Float64Array(o);
  // Weight matching checked the blobs against the handler's shapes: a second blob is the bias.
  if (convBlobs.length > 1) for (let c = 0; c < o; c++) add[c] = convBlobs[1].data[c];
  for (const step of run) {
    if (step.layer.type === 'BatchNorm') {
      checkGlobalStats(step.layer);
      const bn = batchNormAffine(step.layer, step.blobs);
      for (let c = 0; c < o; c++) {
        mul[c] *= bn.mul[c];
        add[c] = add[c] * bn.mul[c] + bn.add[c];
      }
    } else {
      const gamma = step.blobs[0].data;
      const beta = (step.layer.scale_param?.bias_term ?? false) ? step.blobs[1].data : undefined;
      for (let c = 0; c < o; c++) {
        mul[c] *= gamma[c];
        add[c] = add[c] * gamma[c] + (beta ? beta[c] : 0);
      }
    }
  }
  return { mul, bias: Float32Array.from(add) };
}
