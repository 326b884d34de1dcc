/** InnerProduct: flattens the axes from `axis` on and multiplies by an N x K matrix. */
import { layerParam, type LayerParameter } from '../schema';
import type { TensorRef, WeightSource } from '../tfgraph';
import type { ConvertFn } from './convert-api';
import { heInit } from './conv';
import { int } from '../onnx';
import type { OnnxConvertFn } from './onnx-api';
import { batchFree, reshapeTo } from './onnx-util';
import { type LayerHandler, type Shape, canonicalAxis, countOf, netError } from './handler';
import type { ForwardFn, RandomInitFn } from './reference-api';

function geometry(layer: LayerParameter, input: Shape): { axis: number; k: number; n: number; bias: boolean; transpose: boolean } {
  const p = layerParam(layer, 'inner_product_param');
  const axis = canonicalAxis(layer, p.axis, input.length);
  const n = p.num_output ?? 0;
  if (n <= 0) throw netError(layer, 'num_output must be set and positive');
  return { axis, k: countOf(input, axis), n, bias: p.bias_term, transpose: p.transpose };
}

const convertInnerProduct: ConvertFn = (ctx) => {
  const { g, layer, layout } = ctx;
  const p = layerParam(layer, 'inner_product_param');
  const inShape = ctx.inputShapes[0];
  const rank = inShape.length;
  const axis = canonicalAxis(layer, p.axis, rank);
  const transpose = p.transpose;
  const w = ctx.blobs[0];
  const n = p.num_output ?? 0;
  const k = w.shape.reduce((a, b) => a * b, 1) / n;
  // The weights go to the graph as [K, N] (MatMul without transpose_b): tfjs-backend-wasm 4.22's
  // fused MatMul with transpose_b and a bias computes wrong values (measured).
  let data: Float32Array | WeightSource;
  let flat: TensorRef;
  if (rank === 4 && axis === 1) {
    // Caffe flattens (C,H,W); the graph holds (H,W,C): permute the weights' K index instead of the data.
    const [, C, H, W] = inShape;
    const rows = transpose ? [C, H, W, n] : [n, C, H, W];
    const perm = transpose ? [1, 2, 0, 3] : [2, 3, 1, 0];
    data = ctx.rewriteBlob(0, (src, out) => layout.permuteHost(src, rows, perm, out));
    flat = g.reshape(ctx.inputs[0], [-1, k], { name: ctx.name('flatten') });
  } else {
    data = transpose ? w.data : ctx.rewriteBlob(0, (src, out) => layout.permuteHost(src, [n, k], [1, 0], out));
    const native = layout.toCaffeOrder(ctx.inputs[0], ctx.name('nchw'));
    flat = g.reshape(native, [-1, k], { name: ctx.name('flatten') });
  }
  const outShape = ctx.outputShapes[0];
  const direct = outShape.length === 2 && axis === 1;
  const hasBias = p.bias_term;
  const act = ctx.activation;
  const wt = { data, shape: [k, n] };
  let y: TensorRef;
  if (hasBias) {
    // MatMul + BiasAdd (+ the activation) as one _FusedMatMul; the activation is fused only when
    // the product is the top itself (a reshape after it would come between).
    const fuseAct = direct && act !== undefined;
    const bias = { data: ctx.blobs[1].data, shape: [n] };
    y = g.fusedMatMul(flat, wt, bias, { name: direct ? ctx.outName(0) : ctx.name('matmul'), activation: fuseAct ? act : undefined });
    if (fuseAct) return [y];
  } else {
    y = g.matMul(flat, wt, { name: direct && act === undefined ? ctx.outName(0) : ctx.name('matmul') });
  }
  if (!direct) {
    const last = act === undefined;
    const shaped = g.reshape(y, layout.graphTarget(outShape, ctx.inputs[0]), { name: outShape.length === 4 || !last ? ctx.name('unflatten') : ctx.outName(0) });
    y = outShape.length === 4 ? g.transpose(shaped, [0, 2, 3, 1], { name: last ? ctx.outName(0) : ctx.name('layout') }) : shaped;
  }
  return [act === undefined ? y : g.activation(y, act, { name: ctx.outName(0) })];
};

/** Sums in float64, bias first, then k in order. */
const forwardInnerProduct: ForwardFn = (ctx) => {
  const x = ctx.bottoms[0];
  const ip = layerParam(ctx.layer, 'inner_product_param');
  const axis = canonicalAxis(ctx.layer, ip.axis, x.shape.length);
  const M = countOf(x.shape, 0, axis);
  const K = countOf(x.shape, axis);
  const N = ip.num_output ?? 0;
  const transpose = ip.transpose;
  const weights = ctx.blobs[0].data;
  const bias = ip.bias_term ? ctx.blobs[1].data : undefined;
  const out = ctx.alloc(ctx.outputShapes[0]);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) s += x.data[m * K + k] * (transpose ? weights[k * N + n] : weights[n * K + k]);
      out.data[m * N + n] = s;
    }
  }
  return [out];
};

/** As Convolution's; a transposed InnerProduct's fan_in is the weight blob's axis 0. */
const randomInnerProduct: RandomInitFn = (ctx) =>
  heInit((w) => (layerParam(ctx.layer, 'inner_product_param').transpose ? w[0] : countOf(w, 1)))(ctx);

/** ONNX: Flatten at Caffe's axis (Caffe's element order already), Gemm with the stored weights. */
const onnxInnerProduct: OnnxConvertFn = (ctx) => {
  const { g, layer } = ctx;
  const inShape = ctx.inputShapes[0];
  const geo = geometry(layer, inShape);
  const { n, k } = geo;
  const x = ctx.inputs[0];
  const flat = inShape.length === 2 && geo.axis === 1 ? x : g.op('Flatten', [x], ctx.name('flatten'), { axis: int(geo.axis) });
  const inputs = [flat, g.floatConst(ctx.name('weights'), ctx.weight(0), geo.transpose ? [k, n] : [n, k])];
  if (geo.bias) inputs.push(g.floatConst(ctx.name('bias'), ctx.weight(1), [n]));
  const outShape = ctx.outputShapes[0];
  const direct = outShape.length === 2 && geo.axis === 1;
  const y = g.op('Gemm', inputs, direct ? ctx.outName(0) : ctx.name('gemm'), { transB: int(geo.transpose ? 0 : 1) });
  return [direct ? y : reshapeTo(ctx, y, geo.axis === 0 ? outShape : batchFree(outShape), ctx.outName(0))];
};

export const innerProduct: LayerHandler = {
  type: 'InnerProduct',
  category: 'fc',
  absorbs: { activation: true },
  docs: {
    notes: 'Any axis, transpose; weights permuted for the NHWC layout (TF.js); an in-place ReLU after it is fused (TF.js).',
  },
  paramField: 'inner_product_param',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  inPlaceOk: false,
  outputShapes(layer, [input]) {
    const g = geometry(layer, input);
    return [[...input.slice(0, g.axis), g.n]];
  },
  blobShapes(layer, [input]) {
    const g = geometry(layer, input);
    // transpose stores the weights as K x N.
    const weights = g.transpose ? [g.k, g.n] : [g.n, g.k];
    return g.bias ? [weights, [g.n]] : [weights];
  },
  macs(layer, [input]) {
    const g = geometry(layer, input);
    return g.k * g.n;
  },
  convert: { tfjs: convertInnerProduct, onnx: onnxInnerProduct },
  forward: forwardInnerProduct,
  randomInit: randomInnerProduct,
};
