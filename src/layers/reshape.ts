/** Reshape and Flatten: new shapes for the same data. */
import { layerParam } from '../schema';
import type { ConvertFn } from './convert-api';
import type { OnnxConvertFn } from './onnx-api';
import { batchFree, reshapeTo } from './onnx-util';
import { type LayerHandler, type Shape, ONE, canonicalAxis, countOf, netError, noBlobs, noMacs, shapeText } from './handler';
import type { ForwardFn } from './reference-api';

/** The same values in the new shape. */
const forwardReshape: ForwardFn = (ctx) => {
  const out = ctx.alloc(ctx.outputShapes[0]);
  out.data.set(ctx.bottoms[0].data);
  return [out];
};

/** Reshape and Flatten: in Caffe's element order (see convert-api.ts). */
const convertReshape: ConvertFn = (ctx) => {
  const { g, layout } = ctx;
  const inShape = ctx.inputShapes[0];
  const outShape = ctx.outputShapes[0];
  const x = ctx.inputs[0];
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return [g.identity(x, { name: ctx.outName(0) })];
  const native = layout.toCaffeOrder(x, ctx.name('nchw'));
  const target = layout.graphTarget(outShape, x);
  if (outShape.length !== 4) return [g.reshape(native, target, { name: ctx.outName(0) })];
  const r = g.reshape(native, target, { name: ctx.name('reshape') });
  const perm = [0, 2, 3, 1];
  const y = layout.transposeOrReshape(r, perm, ctx.outName(0));
  return [y === r ? g.identity(r, { name: ctx.outName(0) }) : y];
};

/** ONNX: the data is in Caffe's order already, so a Reshape to the top's shape (batch free). */
const onnxReshape: OnnxConvertFn = (ctx) => {
  const inShape = ctx.inputShapes[0];
  const outShape = ctx.outputShapes[0];
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return [ctx.g.op('Identity', [ctx.inputs[0]], ctx.outName(0))];
  return [reshapeTo(ctx, ctx.inputs[0], batchFree(outShape), ctx.outName(0))];
};

export const reshape: LayerHandler = {
  type: 'Reshape',
  docs: {
    notes: 'In Caffe\'s NCHW element order (transposed around the reshape for 4-axis blobs).',
  },
  paramField: 'reshape_param',
  bottoms: ONE,
  tops: ONE,
  inPlaceOk: false,
  outputShapes(layer, [input]) {
    const p = layerParam(layer, 'reshape_param');
    const dims = p.shape?.dim ?? [];
    const axis = p.axis;
    // axis counts positions between axes here, so -1 means "after the last axis".
    const start = axis >= 0 ? axis : input.length + axis + 1;
    if (start < 0 || start > input.length) throw netError(layer, `axis ${axis} is out of range for a blob with ${input.length} axes`);
    const numAxes = p.num_axes;
    if (numAxes < -1) throw netError(layer, `num_axes must be -1 or non-negative, not ${numAxes}`);
    const end = numAxes === -1 ? input.length : start + numAxes;
    if (end > input.length) throw netError(layer, `axis ${start} + num_axes ${numAxes} exceeds the ${input.length} axes of the bottom`);
    const middle: number[] = [];
    let inferred = -1;
    dims.forEach((d, i) => {
      if (d === 0) {
        // 0 copies the bottom's dimension at the same position.
        if (start + i >= input.length) throw netError(layer, `dim ${i} is 0 (copy) but the bottom has no axis ${start + i}`);
        middle.push(input[start + i]);
      } else if (d === -1) {
        if (inferred >= 0) throw netError(layer, 'at most one dim may be -1 (inferred)');
        inferred = i;
        middle.push(1);
      } else if (d < -1) {
        throw netError(layer, `dim ${i} is ${d}; dims must be positive, 0 (copy) or -1 (infer)`);
      } else {
        middle.push(d);
      }
    });
    const out = [...input.slice(0, start), ...middle, ...input.slice(end)];
    const total = countOf(input);
    if (inferred >= 0) {
      const known = countOf(out);
      if (total % known !== 0) throw netError(layer, `cannot infer dim ${inferred}: ${total} elements are not divisible by ${known}`);
      out[start + inferred] = total / known;
    }
    if (countOf(out) !== total) {
      throw netError(layer, `reshape of ${shapeText(input)} (${total} elements) to ${shapeText(out)} (${countOf(out)}) changes the element count`);
    }
    return [out];
  },
  blobShapes: noBlobs,
  macs: noMacs,
  convert: { tfjs: convertReshape, onnx: onnxReshape },
  forward: forwardReshape,
};

export const flatten: LayerHandler = {
  type: 'Flatten',
  docs: {
    notes: 'In Caffe\'s NCHW element order (transposed around the reshape for 4-axis blobs).',
  },
  paramField: 'flatten_param',
  bottoms: ONE,
  tops: ONE,
  inPlaceOk: false,
  outputShapes(layer, [input]): Shape[] {
    const p = layerParam(layer, 'flatten_param');
    const start = canonicalAxis(layer, p.axis, input.length);
    const end = canonicalAxis(layer, p.end_axis, input.length, 'end_axis');
    if (end < start) throw netError(layer, `end_axis ${end} comes before axis ${start}`);
    return [[...input.slice(0, start), countOf(input, start, end + 1), ...input.slice(end + 1)]];
  },
  blobShapes: noBlobs,
  macs: noMacs,
  convert: { tfjs: convertReshape, onnx: onnxReshape },
  forward: forwardReshape,
};
