/**
 * convertNet: an (upgraded) Caffe net plus its weights -> a TF.js GraphBuilder holding the
 * TEST-phase forward pass, NHWC inside, every Caffe blob addressable by its name (the value after
 * the last layer writing it, as in a Caffe blob dump). The pipeline, each stage its own module:
 *
 *   prepare (prepare.ts) -> match weights (feed.ts) -> class order (class-order.ts; release.ts
 *   decides the default) -> fold/fuse (fold.ts: the target-neutral NetPlan) -> emit for a target
 *   (emit-tfjs.ts; any Emitter) -> metadata (metadata.ts).
 *
 * convertWith runs it for any emitter; convertNet is the TF.js one.
 */
import { NetError } from '../errors';
import type { LayerShapes } from '../layers';
import type { NetParameter } from '../schema';
import type { OnnxGraph } from '../onnx';
import type { ModelMetadata } from '../model-metadata';
import type { GraphBuilder, TensorRef } from '../tfgraph';
import { blobRewriter } from './blob-rewriter';
import { applyClassOrder, findClassifier, type ClassOrder, type ClassOrderOptions } from './class-order';
import type { Emitter, EmitProgress, EmitResult } from './emitter';
import { onnxEmitter } from './emit-onnx';
import { tfjsEmitter } from './emit-tfjs';
import { matchLayerBlobs, unusedLayerBlobs, type WeightsInput } from './feed';
import { checkDuplicateWeightedLayers, type UnusedWeights } from '../caffemodel';
import { unusedWeightsError } from './unused';
import { planNet } from './fold';
import { modelMetadata, preprocessingFor } from './metadata';
import type { NetPlan } from './plan';
import { prepareNet } from './prepare';
import { releasePolicyFor } from './release';

export type ConvertProgress = EmitProgress;

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
  channelOrder?: 'BGR' | 'RGB' | 'GRAY';
  /**
   * Class order the converted model outputs. The 1000-way classifier (see findClassifier) is
   * permuted when it differs from `weightsLabels`; recorded as metadata `extra.labelOrder`.
   * Default: `weightsLabels` when given, else 'senet' for the official SENets, else nothing.
   */
  labels?: ClassOrderOptions['labels'];
  /** Class order of the caffemodel's classifier. Default: 'senet' for the official SENets, else 'standard' (Caffe's). */
  weightsLabels?: ClassOrderOptions['weightsLabels'];
  /**
   * Apply the SENet release policy (class order 'senet', BGR, mean 104/117/123): true always,
   * false never; default when the net's structure is one of the seven official architectures
   * (see release.ts), whatever its name.
   */
  senetRelease?: boolean;
  onProgress?: (p: ConvertProgress) => void;
  /**
   * The caller hands the weights over: layers may overwrite their blobs' memory with the converted
   * weights (transposed in place through a reused scratch buffer), so a big model is held once,
   * not twice. The Caffemodel's blob data is garbage afterwards.
   */
  consumeWeights?: boolean;
  /** Caffemodel weights the net does not use are an error (else they are listed in `unused`). */
  strict?: boolean;
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
  /** Caffemodel layers whose blobs the net does not use. */
  unused: UnusedWeights[];
  /** Names of the activation layers fused into a preceding Convolution or InnerProduct. */
  fused: string[];
  /** The class order recorded, when one is: the classifier layer and whether it was permuted (from -> to). */
  labels?: ClassOrder;
}


/** What every target's conversion returns besides its emitter's result. */
export interface Converted<R extends EmitResult> {
  emitted: R;
  plan: NetPlan;
  metadata: ModelMetadata;
  folded: string[];
  fused: string[];
  /** Caffemodel layers whose blobs the net does not use (an error under `strict`). */
  unused: UnusedWeights[];
  labels?: ClassOrder;
}

/** The converter's pipeline for any target. */
export function convertWith<R extends EmitResult>(emitter: Emitter<R>, opts: ConvertNetOptions): Converted<R> {
  const { net } = opts;
  const prepared = prepareNet(net, opts.inputShape, emitter.target);
  const { params, shapes } = prepared;
  const layers = shapes.layers;
  const byName = new Map(layers.map((l) => [l.name, l]));
  checkDuplicateWeightedLayers(layers);
  const weights = matchLayerBlobs(layers.map((l) => ({ name: l.name, type: l.type })), opts.weights, (n) => byName.get(n)?.blobShapes);
  const unused = unusedLayerBlobs(layers, opts.weights);
  if (opts.strict === true && unused.length > 0) throw unusedWeightsError(unused);
  const release = releasePolicyFor(params, opts.senetRelease, findClassifier(layers, params, shapes.outputs) !== undefined);
  const labels = applyClassOrder(net.name ?? '', opts, release?.labels, layers, params, shapes.outputs, weights);
  const plan = planNet(prepared, weights, blobRewriter(opts.consumeWeights ?? false, weights), { fuseActivations: emitter.fusesActivations });
  const emitted = emitter.emit(plan, opts.onProgress);
  if (plan.outputs.length === 0) throw new NetError(undefined, 'the net has no outputs in the TEST phase');
  const preprocessing = preprocessingFor(prepared.transform, release, opts, plan.inputShape);
  const metadata = modelMetadata(plan, emitted, labels, preprocessing);
  const folded = plan.layers.flatMap((l) => l.fold?.layers ?? []);
  const fused = plan.layers.flatMap((l) => (l.activation !== undefined ? [l.activation.layer] : []));
  return { emitted, plan, metadata, folded, fused, unused, ...(labels !== undefined ? { labels } : {}) };
}

/** What the ONNX conversion returns. */
export interface OnnxConvertedNet {
  graph: OnnxGraph;
  /** The same self-description as a GraphModel's, with NCHW layouts. */
  metadata: ModelMetadata;
  layers: LayerShapes[];
  /** Caffe blob name -> ONNX value name (equal unless an in-place blob's earlier value). */
  blobs: Map<string, string>;
  folded: string[];
  /** Caffemodel layers whose blobs the net does not use. */
  unused: UnusedWeights[];
  labels?: ClassOrder;
}

/** The ONNX conversion. */
export function convertNetToOnnx(opts: ConvertNetOptions): OnnxConvertedNet {
  const c = convertWith(onnxEmitter(opts.net.name !== undefined && opts.net.name !== '' ? opts.net.name : 'net'), opts);
  const layers = c.plan.layers.map((l) => l.shapes);
  return { graph: c.emitted.graph, metadata: c.metadata, layers, blobs: c.emitted.blobs, folded: c.folded, unused: c.unused, ...(c.labels !== undefined ? { labels: c.labels } : {}) };
}

/** The TF.js conversion. */
export function convertNet(opts: ConvertNetOptions): ConvertedNet {
  const c = convertWith(tfjsEmitter, opts);
  const layers = c.plan.layers.map((l) => l.shapes);
  return { graph: c.emitted.graph, metadata: c.metadata, layers, blobs: c.emitted.blobs, folded: c.folded, fused: c.fused, unused: c.unused, ...(c.labels !== undefined ? { labels: c.labels } : {}) };
}
