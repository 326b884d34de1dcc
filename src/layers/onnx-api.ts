/**
 * What a layer handler's `onnx` function receives and returns: the ONNX target's counterpart of
 * convert-api.ts. ONNX runs in Caffe's own layout (NCHW), so there are no layout helpers: every
 * value has its Caffe blob's shape, axis 0 being the free batch when the input's is.
 */
import type { OnnxGraph } from '../onnx';
import type { WeightSource } from '../tfgraph';
import type { LayerConvertBase } from './convert-api';

export interface OnnxConvertContext extends LayerConvertBase<string> {
  readonly g: OnnxGraph;
  /**
   * Blob `index` as initializer data: its values as they are, or transformed by `fill` (same
   * length). For blobs still in the caffemodel the result is a WeightSource read when the file is
   * written (the model is streamed, never held). The handler must not read the blob after this.
   */
  weight(index: number, fill?: (src: Float32Array, out: Float32Array) => void): Float32Array | WeightSource;
}

/** Converts one layer to ONNX nodes: returns one value name per top. */
export type OnnxConvertFn = (ctx: OnnxConvertContext) => string[];
