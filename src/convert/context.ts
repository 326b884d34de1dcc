/**
 * What a per-layer TF conversion sees, and the layout rule every conversion follows:
 *
 * - A Caffe blob with 4 axes (N,C,H,W) lives in the graph as an NHWC tensor.
 * - A blob with any other number of axes lives in the graph in Caffe's own axis order.
 * - Axis 0 is the free batch (-1) in the graph whenever the input's batch is.
 *
 * Layers that reinterpret memory (Reshape, Flatten, InnerProduct on non-channel axes) therefore
 * go through Caffe's NCHW order: transpose NHWC -> NCHW, reshape, and transpose back when the
 * result has 4 axes again, so the element order is Caffe's.
 */
import type { LayerParameter } from '../schema';
import type { GraphBuilder, TensorRef } from '../tfgraph';
import type { Shape } from '../layers/handler';

/** A learned blob of the layer, matched and shape-checked against the handler's blobShapes. */
export interface LayerBlob {
  shape: number[];
  data: Float32Array;
}

export interface ConvertContext {
  readonly g: GraphBuilder;
  readonly layer: LayerParameter;
  /** Graph tensors of the bottoms, in the layout rule above. */
  readonly inputs: readonly TensorRef[];
  /** Caffe shapes of the bottoms (with the net's nominal batch). */
  readonly inputShapes: readonly Shape[];
  /** Caffe shapes of the tops. */
  readonly outputShapes: readonly Shape[];
  /** The layer's learned blobs, already shape-checked. */
  readonly blobs: readonly LayerBlob[];
  /** A fresh name for an intermediate node of this layer. */
  name(part: string): string;
  /**
   * The name the node producing top `i` should get: the Caffe blob name when this layer is the
   * blob's last writer, else an intermediate name.
   */
  outName(i: number): string;
}

/** Converts one layer: returns one graph tensor per top, in the layout rule above. */
export type ConvertFn = (ctx: ConvertContext) => TensorRef[];
