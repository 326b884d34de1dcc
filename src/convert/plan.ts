/**
 * The target-neutral description of a net ready to emit: what every emitter (TF.js, ONNX, ...)
 * consumes. Made by the fold stage (fold.ts) from the prepared TEST net and its matched weights.
 */
import type { ChannelFold, LayerBlob, LayerHandler, LayerShapes, Shape } from '../layers';
import type { LayerParameter } from '../schema';
import type { FusedActivation } from '../tfgraph';
import type { BlobRewriter } from './blob-rewriter';

export interface PlannedLayer {
  /** Name, type, bottoms, tops and Caffe shapes (nominal batch). */
  readonly shapes: LayerShapes;
  readonly param: LayerParameter;
  /** Undefined for the Input layer, which the emitter makes the graph input. */
  readonly handler: LayerHandler | undefined;
  /** The learned blobs, shape-checked (the classifier already in the recorded class order). */
  readonly blobs: readonly LayerBlob[];
  /** The per-channel affine of the in-place layers folded into this one (weights * mul, bias replaced). */
  readonly fold?: { readonly layers: readonly string[]; readonly affine: ChannelFold };
  /** The in-place activation after this layer (and its folded layers) that the emitter applies to its top. */
  readonly activation?: { readonly layer: string; readonly fn: FusedActivation };
  /** Index of the layer this one was folded or fused into; such a layer emits nothing. */
  readonly absorbedInto?: number;
  /**
   * Index of the last layer of the group this layer heads (itself, or its last folded or fused
   * layer): a top whose last writer is that layer gets its Caffe blob name here.
   */
  readonly groupEnd: number;
}

export interface NetPlan {
  /** Every TEST-phase layer in order, absorbed ones included (flagged). */
  readonly layers: readonly PlannedLayer[];
  readonly inputBlob: string;
  /** The input's Caffe shape (N,C,H,W with the nominal batch). */
  readonly inputShape: Shape;
  /** The net's output blobs (tops nothing reads), the input excluded. */
  readonly outputs: readonly string[];
  /** Blob -> index of the last layer writing it (its value in a Caffe blob dump). */
  readonly lastWriter: ReadonlyMap<string, number>;
  /** Blob names in the order Caffe creates them (first appearance as a top). */
  readonly blobOrder: readonly string[];
  /** How an emitter turns a blob into weight data (see ConvertContext.rewriteBlob). */
  readonly rewriteBlob: BlobRewriter;
}

/** Blob names in the order Caffe creates them (and a blob dump lists them): first appearance as a top. */
export function caffeBlobOrder(layers: readonly { tops: readonly string[] }[]): string[] {
  const seen = new Set<string>();
  for (const l of layers) for (const t of l.tops) seen.add(t);
  return [...seen];
}
