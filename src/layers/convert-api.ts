/**
 * What a layer handler's `convert` function receives and returns. Types only: the converter
 * (src/convert/) implements them. The layout rule every conversion follows:
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
import type { FusedActivation, GraphBuilder, TensorRef, WeightSource } from '../tfgraph';
import type { Shape } from './shape';

/** A learned blob of the layer, matched and shape-checked against the handler's blobShapes. */
export interface LayerBlob {
  readonly shape: number[];
  /**
   * The values, read only: usually a view over the caffemodel's buffer, or (when converting
   * from a file) read from it on first use. Big weights go through `rewriteBlob` instead.
   */
  readonly data: Float32Array;
}

/** Host data with its shape (row-major). */
export interface HostArray {
  data: Float32Array;
  shape: number[];
}

/** Moving between Caffe's axis order and the graph layout (see the rule above). */
export interface LayoutHelpers {
  /** Graph axis of Caffe axis `a` for a blob with `rank` axes (NCHW -> NHWC for rank 4). */
  tfAxis(a: number, rank: number): number;
  /** Row-major host data permuted: out axis i is in axis perm[i]; into `out` when given (not aliasing `data`). */
  permuteHost(data: Float32Array, shape: readonly number[], perm: readonly number[], out?: Float32Array): Float32Array;
  /** Host data in Caffe order -> graph layout (NCHW -> NHWC when rank 4). */
  hostToGraphLayout(data: Float32Array, shape: readonly number[]): HostArray;
  /** Transpose in the graph, or a Reshape when the permutation moves no data; `x` itself for the identity. */
  transposeOrReshape(x: TensorRef, perm: readonly number[], name: string): TensorRef;
  /** The tensor in Caffe's axis order (NHWC -> NCHW for rank 4). */
  toCaffeOrder(x: TensorRef, name: string): TensorRef;
  /** From Caffe's axis order to the graph layout (NCHW -> NHWC for rank 4). */
  fromCaffeOrder(x: TensorRef, name: string): TensorRef;
  /** A Caffe shape as a graph reshape target: axis 0 is free (-1) when the input's batch is. */
  graphTarget(caffeShape: readonly number[], input: TensorRef): number[];
}

/**
 * A per-output-channel affine the converter folds into a Convolution (the in-place BatchNorm and
 * Scale after it): weights times `mul[o]`, and `bias` replacing the convolution's own bias.
 */
export interface ChannelFold {
  mul: Float64Array;
  bias: Float32Array;
}

/**
 * What every target's conversion function receives about its layer, whatever the target: `V` is
 * the target's handle of a value (a graph tensor, an ONNX value name).
 */
export interface LayerConvertBase<V> {
  readonly layer: LayerParameter;
  /** The bottoms' values, in bottom order (for TF.js in the layout rule above). */
  readonly inputs: readonly V[];
  /** Caffe shapes of the bottoms (with the net's nominal batch). */
  readonly inputShapes: readonly Shape[];
  /** Caffe shapes of the tops. */
  readonly outputShapes: readonly Shape[];
  /** The layer's learned blobs, already shape-checked. */
  readonly blobs: readonly LayerBlob[];
  /** Only for Convolution: the affine of the in-place BatchNorm/Scale folded into it. */
  readonly fold?: ChannelFold;
  /** A fresh name for an intermediate node or value of this layer. */
  name(part: string): string;
  /**
   * The name top `i`'s value gets: the Caffe blob name when this layer is the blob's last writer,
   * else an intermediate name.
   */
  outName(i: number): string;
}

export interface ConvertContext extends LayerConvertBase<TensorRef> {
  readonly g: GraphBuilder;
  /**
   * Only for Convolution and InnerProduct: the in-place activation (ReLU) after the layer (and
   * after its folded layers), which the converter skips. The handler must apply it to its top:
   * fused into its last op where TF has such an op, else as a node of its own.
   */
  readonly activation?: FusedActivation;
  readonly layout: LayoutHelpers;
  /**
   * A weight derived from blob `index` with as many values (a transpose, maybe scaled): `fill`
   * gets the blob's values as `src` and must write every value of `out` (it may run later, when
   * the weights are written, so it must only depend on `src` and on data fixed by then). The
   * result is host data for a graph constant: the values, possibly in the blob's own memory
   * (when the converter owns the weights: no second copy of a big model), or a WeightSource that
   * reads the blob from the file and runs `fill` at write time. The handler must not read the
   * blob after this call.
   */
  rewriteBlob(index: number, fill: (src: Float32Array, out: Float32Array) => void): Float32Array | WeightSource;
}

/** Converts one layer: returns one graph tensor per top, in the layout rule above. */
export type ConvertFn = (ctx: ConvertContext) => TensorRef[];
