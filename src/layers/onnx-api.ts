/**
 * What a layer handler's `onnx` function receives and returns: the ONNX target's counterpart of
 * convert-api.ts. ONNX runs in Caffe's own layout (NCHW), so there are no layout helpers: every
 * value has its Caffe blob's shape, axis 0 being the free batch when the input's is.
 */
import type { LayerParameter } from '../schema';
import type { OnnxGraph } from '../onnx';
import type { WeightSource } from '../tfgraph';
import type { ChannelFold, LayerBlob } from './convert-api';
import type { Shape } from './handler';

export interface OnnxConvertContext {
  readonly g: OnnxGraph;
  readonly layer: LayerParameter;
  /** Value names of the bottoms, in bottom order. */
  readonly inputs: readonly string[];
  /** Caffe shapes of the bottoms (with the net's nominal batch). */
  readonly inputShapes: readonly Shape[];
  /** Caffe shapes of the tops. */
  readonly outputShapes: readonly Shape[];
  /** The layer's learned blobs, already shape-checked. */
  readonly blobs: readonly LayerBlob[];
  /** Only for Convolution: the affine of the in-place BatchNorm/Scale folded into it. */
  readonly fold?: ChannelFold;
  /**
   * Blob `index` as initializer data: its values as they are, or transformed by `fill` (same
   * length). For blobs still in the caffemodel the result is a WeightSource read when the file is
   * written (the model is streamed, never held). The handler must not read the blob after this.
   */
  weight(index: number, fill?: (src: Float32Array, out: Float32Array) => void): Float32Array | WeightSource;
  /** A fresh name for an intermediate value or constant of this layer. */
  name(part: string): string;
  /** The name top `i`'s value gets: the Caffe blob name when this layer is its last writer. */
  outName(i: number): string;
}

/** Converts one layer to ONNX nodes: returns one value name per top. */
export type OnnxConvertFn = (ctx: OnnxConvertContext) => string[];
