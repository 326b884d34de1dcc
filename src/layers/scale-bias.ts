/**
 * Scale and Bias: multiply (add) a blob broadcast over bottom[0], either learned (one bottom)
 * or given as bottom[1]. The operand covers bottom[0]'s axes [axis, axis + num_axes).
 */
import { layerParam, type LayerParameter } from '../schema';
import type { ConvertFn } from './convert-api';
import { hostOperand, tensorOperand } from './convert-util';
import { type LayerHandler, type Shape, bottomLabel, canonicalAxis, countOf, netError, noMacs, shapeText } from './handler';
import { type ForwardContext, type ForwardFn, type RandomInitFn, type Tensor, type Values, fillUniform } from './reference-api';
import type { OnnxConvertContext, OnnxConvertFn } from './onnx-api';
import { operandDims, valueOperand } from './onnx-util';

/** Scale's and Bias's shared fields, resolved (layerParam). */
interface BroadcastParam {
  readonly axis: number;
  readonly num_axes: number;
}

/** The resolved parameters of a Scale or Bias layer. */
function broadcastParam(layer: LayerParameter): BroadcastParam {
  return layer.type === 'Bias' ? layerParam(layer, 'bias_param') : layerParam(layer, 'scale_param');
}

/** The bottom[0] axis the operand starts at (a scalar operand: 0). */
function operandAxis(layer: LayerParameter, opShape: Shape, rank: number): number {
  return opShape.length === 0 ? 0 : canonicalAxis(layer, broadcastParam(layer).axis, rank);
}

/** Shape of the learned operand for the one-bottom form. */
function learnedOperandShape(layer: LayerParameter, input: Shape): Shape {
  const p = broadcastParam(layer);
  const axis = canonicalAxis(layer, p.axis, input.length);
  const numAxes = p.num_axes;
  if (numAxes < -1) throw netError(layer, `num_axes must be -1 or non-negative, not ${numAxes}`);
  if (numAxes >= 0 && axis + numAxes > input.length) {
    throw netError(layer, `axis ${axis} + num_axes ${numAxes} exceeds the ${input.length} axes of ${bottomLabel(layer, 0)}`);
  }
  return input.slice(axis, numAxes === -1 ? input.length : axis + numAxes);
}

/** Checks that the operand fits bottom[0] at `axis` (a scalar operand fits anywhere). */
function checkOperand(layer: LayerParameter, input: Shape, operand: Shape): void {
  const axis = operandAxis(layer, operand, input.length);
  const fits = axis + operand.length <= input.length && operand.every((d, i) => input[axis + i] === d);
  if (!fits) {
    throw netError(
      layer,
      `operand ${shapeText(operand)}${layer.bottom?.[1] !== undefined ? ` (${bottomLabel(layer, 1)})` : ''} does not match ${bottomLabel(layer, 0)} ${shapeText(input)} at axis ${axis}`,
    );
  }
}

function operandShape(layer: LayerParameter, inputShapes: Shape[]): Shape {
  const operand = inputShapes.length > 1 ? inputShapes[1] : learnedOperandShape(layer, inputShapes[0]);
  checkOperand(layer, inputShapes[0], operand);
  return operand;
}

/** Scale: y = x * s (+ b); s learned (one bottom) or bottom[1]; any axis / num_axes. */
const convertScale: ConvertFn = (ctx) => {
  const { g, layer } = ctx;
  const p = layerParam(layer, 'scale_param');
  const inShape = ctx.inputShapes[0];
  const rank = inShape.length;
  const two = ctx.inputs.length === 2;
  const opShape = two ? ctx.inputShapes[1] : ctx.blobs[0].shape;
  const axis = operandAxis(layer, opShape, rank);
  const hasBias = p.bias_term;
  const biasBlob = hasBias ? ctx.blobs[two ? 0 : 1] : undefined;
  const s = two
    ? tensorOperand(ctx, ctx.inputs[1], opShape, axis, rank, 'scale')
    : (() => {
        const h = hostOperand(ctx, ctx.blobs[0].data, opShape, axis, rank);
        return g.constFloat(ctx.name('scale'), h.data, h.shape);
      })();
  let y = g.mul(ctx.inputs[0], s, { name: biasBlob ? ctx.name('mul') : ctx.outName(0) });
  if (biasBlob) {
    const h = hostOperand(ctx, biasBlob.data, opShape, axis, rank);
    y = g.add(y, g.constFloat(ctx.name('bias'), h.data, h.shape), { name: ctx.outName(0) });
  }
  return [y];
};

const convertBias: ConvertFn = (ctx) => {
  const { g, layer } = ctx;
  const rank = ctx.inputShapes[0].length;
  const two = ctx.inputs.length === 2;
  const opShape = two ? ctx.inputShapes[1] : ctx.blobs[0].shape;
  const axis = operandAxis(layer, opShape, rank);
  const b = two
    ? tensorOperand(ctx, ctx.inputs[1], opShape, axis, rank, 'bias')
    : (() => {
        const h = hostOperand(ctx, ctx.blobs[0].data, opShape, axis, rank);
        return g.constFloat(ctx.name('bias'), h.data, h.shape);
      })();
  return [g.add(ctx.inputs[0], b, { name: ctx.outName(0) })];
};

/**
 * y = x * s (+ b) or x + b, broadcast at the operand's axis. With a bias Caffe rounds x * gamma
 * to float32 before adding beta (num.round).
 */
function forwardBroadcast(ctx: ForwardContext, isScale: boolean): Tensor<Values>[] {
  const { bottoms, blobs: w, layer: p } = ctx;
  const x = bottoms[0];
  const operand = bottoms.length > 1 ? bottoms[1].data : w[0].data;
  const opShape = bottoms.length > 1 ? bottoms[1].shape : w[0].shape;
  const axis = operandAxis(p, opShape, x.shape.length);
  const outer = countOf(x.shape, 0, axis);
  const dim = countOf(opShape);
  const inner = countOf(x.shape, axis + opShape.length);
  const biasBlob = isScale && layerParam(p, 'scale_param').bias_term ? w[bottoms.length > 1 ? 0 : 1].data : undefined;
  const round = ctx.num.round;
  const out = ctx.alloc(x.shape);
  for (let o = 0; o < outer; o++) {
    for (let d = 0; d < dim; d++) {
      const a = operand[d];
      const b = biasBlob ? biasBlob[d] : 0;
      const base = (o * dim + d) * inner;
      for (let i = 0; i < inner; i++) {
        out.data[base + i] = isScale ? (biasBlob ? round(x.data[base + i] * a) + b : x.data[base + i] * a) : x.data[base + i] + a;
      }
    }
  }
  return [out];
}

const forwardScale: ForwardFn = (ctx) => forwardBroadcast(ctx, true);
const forwardBias: ForwardFn = (ctx) => forwardBroadcast(ctx, false);

/** Gamma U(ctx.gamma) (one bottom only), beta U(-0.1, 0.1). */
const randomScale: RandomInitFn = (ctx) =>
  ctx.blobShapes.map((s, i) =>
    i === 0 && ctx.bottoms === 1 ? fillUniform(countOf(s), ctx.stream(i), ctx.gamma[0], ctx.gamma[1]) : fillUniform(countOf(s), ctx.stream(i), -0.1, 0.1),
  );

const randomBias: RandomInitFn = (ctx) => ctx.blobShapes.map((s, i) => fillUniform(countOf(s), ctx.stream(i), -0.1, 0.1));
/** The operand of Scale/Bias for ONNX: bottom[1] reshaped to broadcast, or learned blob `blob` as a constant. */
function onnxOperand(ctx: OnnxConvertContext, blob: number, part: string): string {
  const rank = ctx.inputShapes[0].length;
  const two = ctx.inputs.length === 2;
  const opShape = two ? ctx.inputShapes[1] : ctx.blobs[blob].shape;
  const axis = operandAxis(ctx.layer, opShape, rank);
  if (two) return valueOperand(ctx, ctx.inputs[1], opShape, axis, rank, part);
  return ctx.g.floatConst(ctx.name(part), ctx.weight(blob), operandDims(opShape, axis, rank));
}

const onnxScale: OnnxConvertFn = (ctx) => {
  const { g } = ctx;
  const p = layerParam(ctx.layer, 'scale_param');
  const two = ctx.inputs.length === 2;
  const hasBias = p.bias_term;
  const s = onnxOperand(ctx, 0, 'scale');
  const y = g.op('Mul', [ctx.inputs[0], s], hasBias ? ctx.name('mul') : ctx.outName(0));
  if (!hasBias) return [y];
  // The bias has the scale's shape, at the same axis.
  const rank = ctx.inputShapes[0].length;
  const opShape = two ? ctx.inputShapes[1] : ctx.blobs[0].shape;
  const axis = operandAxis(ctx.layer, opShape, rank);
  const b = g.floatConst(ctx.name('bias'), ctx.weight(two ? 0 : 1), operandDims(opShape, axis, rank));
  return [g.op('Add', [y, b], ctx.outName(0))];
};

const onnxBias: OnnxConvertFn = (ctx) => [ctx.g.op('Add', [ctx.inputs[0], onnxOperand(ctx, 0, 'bias')], ctx.outName(0))];

export const scale: LayerHandler = {
  type: 'Scale',
  category: 'scale',
  docs: {
    notes: 'Learned or from a second bottom, any axis and num_axes; folded after a BatchNorm folded into a Convolution.',
  },
  paramField: 'scale_param',
  bottoms: { min: 1, max: 2 },
  tops: { min: 1, max: 1 },
  inPlaceOk: true,
  outputShapes(layer, inputShapes) {
    operandShape(layer, inputShapes);
    return [inputShapes[0].slice()];
  },
  blobShapes(layer, inputShapes) {
    const p = layerParam(layer, 'scale_param');
    const operand = operandShape(layer, inputShapes);
    const blobs: Shape[] = [];
    // With two bottoms the scale comes from bottom[1]; only the optional bias is learned.
    if (inputShapes.length === 1) blobs.push(operand.slice());
    if (p.bias_term) blobs.push(operand.slice());
    return blobs;
  },
  macs: noMacs,
  convert: { tfjs: convertScale, onnx: onnxScale },
  channelAffine: {
    // Folded only after a BatchNorm (the BN + Scale pair of ResNet-style nets).
    leads: false,
    foldable(layer, blobShapes, channels) {
      const { axis } = layerParam(layer, 'scale_param');
      return (axis === 1 || axis === -3) && blobShapes.length >= 1 && blobShapes[0].length === 1 && blobShapes[0][0] === channels;
    },
    affine: (layer, blobs) => (layerParam(layer, 'scale_param').bias_term ? { mul: blobs[0].data, add: blobs[1].data } : { mul: blobs[0].data }),
  },
  forward: forwardScale,
  randomInit: randomScale,
};

export const bias: LayerHandler = {
  type: 'Bias',
  category: 'scale',
  docs: {
    notes: 'Learned or from a second bottom, any axis and num_axes.',
  },
  paramField: 'bias_param',
  bottoms: { min: 1, max: 2 },
  tops: { min: 1, max: 1 },
  inPlaceOk: true,
  outputShapes(layer, inputShapes) {
    operandShape(layer, inputShapes);
    return [inputShapes[0].slice()];
  },
  blobShapes(layer, inputShapes) {
    const operand = operandShape(layer, inputShapes);
    return inputShapes.length === 1 ? [operand] : [];
  },
  macs: noMacs,
  convert: { tfjs: convertBias, onnx: onnxBias },
  forward: forwardBias,
  randomInit: randomBias,
};
