/**
 * Axpy, the layer of the SENet release: top = a * X + Y with bottoms [a, X, Y], where a is
 * N x C (optionally x 1 x 1) and scales each channel of X. The top has X's shape and may
 * share Y's blob, but not a's or X's.
 */
import type { ConvertFn } from './convert-api';
import { tensorOperand } from './convert-util';
import type { OnnxConvertFn } from './onnx-api';
import { valueOperand } from './onnx-util';
import { type LayerHandler, bottomLabel, countOf, netError, noBlobs, noMacs, sameShape, shapeText } from './handler';
import type { ForwardFn } from './reference-api';

/** a scales X's channels: a as an N x C operand at axis 0, then X * a + Y. */
const convertAxpy: ConvertFn = (ctx) => {
  const { g } = ctx;
  const [aShape, xShape] = ctx.inputShapes;
  const [a, x, y] = ctx.inputs;
  const rank = xShape.length;
  const aOp = tensorOperand(ctx, a, aShape.slice(0, 2), 0, rank, 'a');
  const ax = g.mul(x, aOp, { name: ctx.name('mul') });
  return [g.add(ax, y, { name: ctx.outName(0) })];
};

const forwardAxpy: ForwardFn = (ctx) => {
  const [a, X, Y] = ctx.bottoms;
  const out = ctx.alloc(X.shape);
  const spatial = countOf(X.shape, 2);
  for (let i = 0; i < X.data.length; i++) out.data[i] = a.data[Math.floor(i / spatial)] * X.data[i] + Y.data[i];
  return [out];
};

/** ONNX: a reshaped to N x C x 1 x ... to scale X's channels, then + Y. */
const onnxAxpy: OnnxConvertFn = (ctx) => {
  const { g } = ctx;
  const [aShape, xShape] = ctx.inputShapes;
  const [a, x, y] = ctx.inputs;
  const aOp = aShape.length === xShape.length ? a : valueOperand(ctx, a, aShape.slice(0, 2), 0, xShape.length, 'a');
  const ax = g.op('Mul', [x, aOp], ctx.name('mul'));
  return [g.op('Add', [ax, y], ctx.outName(0))];
};

export const axpy: LayerHandler = {
  type: 'Axpy',
  category: 'merge',
  docs: {
    notes: 'The SENet release\'s a * x + y (a per channel of N,C,1,1).',
  },
  bottoms: { min: 3, max: 3 },
  tops: { min: 1, max: 1 },
  // Only the aliasing of Y is allowed; infer.ts checks this per bottom via inPlaceBottoms.
  inPlaceOk: false,
  inPlaceBottoms: [2],
  outputShapes(layer, [a, x, y]) {
    if (x.length < 2) throw netError(layer, `X ${bottomLabel(layer, 1)} needs at least N and C axes; got ${shapeText(x)}`);
    if (a.length < 2 || a[0] !== x[0] || a[1] !== x[1] || countOf(a) !== a[0] * a[1]) {
      throw netError(layer, `a ${bottomLabel(layer, 0)} ${shapeText(a)} must be N x C (x 1 x 1) for X ${bottomLabel(layer, 1)} ${shapeText(x)}`);
    }
    if (!sameShape(x, y)) {
      throw netError(layer, `X ${bottomLabel(layer, 1)} ${shapeText(x)} and Y ${bottomLabel(layer, 2)} ${shapeText(y)} differ`);
    }
    return [x.slice()];
  },
  blobShapes: noBlobs,
  macs: noMacs,
  convert: { tfjs: convertAxpy, onnx: onnxAxpy },
  forward: forwardAxpy,
};
