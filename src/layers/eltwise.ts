/** Eltwise: PROD, SUM (with optional coefficients) or MAX of equally shaped bottoms. */
import { layerParam } from '../schema';
import type { TensorRef } from '../tfgraph';
import type { ConvertFn } from './convert-api';
import type { OnnxConvertFn } from './onnx-api';
import { scalar } from './onnx-util';
import { type LayerHandler, netError, noBlobs, noMacs, requireSameShapes } from './handler';
import type { ForwardFn } from './reference-api';

const convertEltwise: ConvertFn = (ctx) => {
  const { g, layer } = ctx;
  const p = layerParam(layer, 'eltwise_param');
  const op = p.operation;
  const xs = ctx.inputs;
  const chain = (f: (a: TensorRef, b: TensorRef, o: { name: string }) => TensorRef): TensorRef => {
    let y = xs[0];
    for (let i = 1; i < xs.length; i++) y = f(y, xs[i], { name: i === xs.length - 1 ? ctx.outName(0) : ctx.name(`step${i}`) });
    return y;
  };
  if (op === 'PROD') return [chain((a, b, o) => g.mul(a, b, o))];
  if (op === 'MAX') return [chain((a, b, o) => g.maximum(a, b, o))];
  const coeff = p.coeff ?? [];
  const terms = xs.map((x, i) => {
    const c = coeff[i] ?? 1;
    return c === 1 ? x : g.mul(x, g.scalar(ctx.name(`coeff${i}`), c), { name: ctx.name(`term${i}`) });
  });
  return [terms.length === 2 ? g.add(terms[0], terms[1], { name: ctx.outName(0) }) : g.addN(terms, { name: ctx.outName(0) })];
};

/** PROD rounds each product to storage precision, as Caffe's float32 multiplies do. */
const forwardEltwise: ForwardFn = (ctx) => {
  const { bottoms } = ctx;
  const ep = layerParam(ctx.layer, 'eltwise_param');
  const op = ep.operation;
  const coeff = ep.coeff ?? [];
  const round = ctx.num.round;
  const out = ctx.alloc(bottoms[0].shape);
  const n = out.data.length;
  for (let i = 0; i < n; i++) {
    let v: number;
    if (op === 'PROD') {
      v = bottoms[0].data[i];
      for (let b = 1; b < bottoms.length; b++) v = round(v * bottoms[b].data[i]);
    } else if (op === 'MAX') {
      v = bottoms[0].data[i];
      for (let b = 1; b < bottoms.length; b++) v = Math.max(v, bottoms[b].data[i]);
    } else {
      v = 0;
      for (let b = 0; b < bottoms.length; b++) v += (coeff.length > 0 ? coeff[b] : 1) * bottoms[b].data[i];
    }
    out.data[i] = v;
  }
  return [out];
};

/** ONNX: PROD as a chain of Mul (Caffe's order), MAX as one Max, SUM as Sum of the coefficient-scaled terms. */
const onnxEltwise: OnnxConvertFn = (ctx) => {
  const { g } = ctx;
  const p = layerParam(ctx.layer, 'eltwise_param');
  const op = p.operation;
  const xs = ctx.inputs;
  if (op === 'MAX') return [g.op('Max', xs, ctx.outName(0))];
  if (op === 'PROD') {
    let y = xs[0];
    for (let i = 1; i < xs.length; i++) y = g.op('Mul', [y, xs[i]], i === xs.length - 1 ? ctx.outName(0) : ctx.name(`step${i}`));
    return [y];
  }
  const coeff = p.coeff ?? [];
  const terms = xs.map((x, i) => {
    const c = coeff[i] ?? 1;
    return c === 1 ? x : g.op('Mul', [x, scalar(ctx, `coeff${i}`, c)], ctx.name(`term${i}`));
  });
  return [g.op(terms.length === 2 ? 'Add' : 'Sum', terms, ctx.outName(0))];
};

export const eltwise: LayerHandler = {
  type: 'Eltwise',
  category: 'merge',
  docs: {
    notes: 'SUM (with coefficients), PROD, MAX.',
  },
  paramField: 'eltwise_param',
  bottoms: { min: 2, max: Infinity },
  tops: { min: 1, max: 1 },
  // SUM and PROD start by overwriting the top, which would destroy an aliased bottom.
  inPlaceOk: false,
  outputShapes(layer, inputShapes) {
    const p = layerParam(layer, 'eltwise_param');
    const coeff = p.coeff ?? [];
    if (coeff.length > 0) {
      if (p.operation !== 'SUM') throw netError(layer, 'coeff is only for the SUM operation');
      if (coeff.length !== inputShapes.length) {
        throw netError(layer, `takes one coeff per bottom: ${coeff.length} coeffs for ${inputShapes.length} bottoms`);
      }
    }
    return [requireSameShapes(layer, inputShapes).slice()];
  },
  blobShapes: noBlobs,
  macs: noMacs,
  convert: { tfjs: convertEltwise, onnx: onnxEltwise },
  forward: forwardEltwise,
};
