/** Concat, Slice and Split: joining, cutting and copying blobs along one axis. */
import { layerParam, type LayerParameter } from '../schema';
import type { ConvertFn } from './convert-api';
import { type LayerHandler, ANY_FROM_1, bottomLabel, canonicalAxis, countOf, netError, noBlobs, noMacs, shapeText } from './handler';
import type { ForwardFn } from './reference-api';
import { int } from '../onnx';
import type { OnnxConvertFn } from './onnx-api';

/**
 * The axis of a Concat or Slice: the legacy non-negative concat_dim/slice_dim when given, else
 * `axis` (its proto default when absent), canonicalised. Caffe refuses both at once.
 */
function joinAxis(layer: LayerParameter, field: 'concat_param' | 'slice_param', rank: number): number {
  const legacyName = field === 'concat_param' ? 'concat_dim' : 'slice_dim';
  const legacy = field === 'concat_param' ? layer.concat_param?.concat_dim : layer.slice_param?.slice_dim;
  if (layer[field]?.axis !== undefined && legacy !== undefined) throw netError(layer, `either axis or ${legacyName} may be given, not both`);
  if (legacy !== undefined) {
    if (legacy >= rank) throw netError(layer, `${legacyName} ${legacy} is out of range for a blob with ${rank} axes`);
    return legacy;
  }
  return canonicalAxis(layer, layerParam(layer, field).axis, rank);
}

const convertConcat: ConvertFn = (ctx) => {
  const rank = ctx.inputShapes[0].length;
  if (ctx.inputs.length === 1) return [ctx.g.identity(ctx.inputs[0], { name: ctx.outName(0) })];
  return [ctx.g.concat(ctx.inputs, ctx.layout.tfAxis(joinAxis(ctx.layer, 'concat_param', rank), rank), { name: ctx.outName(0) })];
};

const convertSlice: ConvertFn = (ctx) => {
  const { g } = ctx;
  const rank = ctx.inputShapes[0].length;
  const axis = joinAxis(ctx.layer, 'slice_param', rank);
  const sizes = ctx.outputShapes.map((s) => s[axis]);
  const parts = g.splitV(ctx.inputs[0], sizes, ctx.layout.tfAxis(axis, rank), { name: ctx.name('split') });
  return parts.map((t, i) => g.identity(t, { name: ctx.outName(i) }));
};

const onnxConcat: OnnxConvertFn = (ctx) => {
  const rank = ctx.inputShapes[0].length;
  if (ctx.inputs.length === 1) return [ctx.g.op('Identity', [ctx.inputs[0]], ctx.outName(0))];
  return [ctx.g.op('Concat', ctx.inputs, ctx.outName(0), { axis: int(joinAxis(ctx.layer, 'concat_param', rank)) })];
};

/** ONNX Split (opset 13: the sizes are an input), one output per top. */
const onnxSlice: OnnxConvertFn = (ctx) => {
  const { g } = ctx;
  const axis = joinAxis(ctx.layer, 'slice_param', ctx.inputShapes[0].length);
  if (ctx.outputShapes.length === 1) return [g.op('Identity', [ctx.inputs[0]], ctx.outName(0))];
  const sizes = g.int64Const(ctx.name('sizes'), ctx.outputShapes.map((s) => s[axis]));
  return g.opN('Split', [ctx.inputs[0], sizes], ctx.outputShapes.map((_, i) => ctx.outName(i)), { axis: int(axis) });
};

const onnxSplit: OnnxConvertFn = (ctx) => ctx.outputShapes.map((_, i) => ctx.g.op('Identity', [ctx.inputs[0]], ctx.outName(i)));

const convertSplit: ConvertFn = (ctx) => ctx.outputShapes.map((_, i) => ctx.g.identity(ctx.inputs[0], { name: ctx.outName(i) }));

const forwardConcat: ForwardFn = (ctx) => {
  const outShape = ctx.outputShapes[0];
  const axis = joinAxis(ctx.layer, 'concat_param', outShape.length);
  const outer = countOf(outShape, 0, axis);
  const inner = countOf(outShape, axis + 1);
  const out = ctx.alloc(outShape);
  let offset = 0;
  for (const b of ctx.bottoms) {
    const len = b.shape[axis] * inner;
    for (let o = 0; o < outer; o++) out.data.set(b.data.subarray(o * len, (o + 1) * len), o * outShape[axis] * inner + offset);
    offset += len;
  }
  return [out];
};

const forwardSlice: ForwardFn = (ctx) => {
  const x = ctx.bottoms[0];
  const axis = joinAxis(ctx.layer, 'slice_param', x.shape.length);
  const outer = countOf(x.shape, 0, axis);
  const inner = countOf(x.shape, axis + 1);
  let offset = 0;
  return ctx.outputShapes.map((s) => {
    const out = ctx.alloc(s);
    const len = s[axis] * inner;
    for (let o = 0; o < outer; o++) out.data.set(x.data.subarray(o * x.shape[axis] * inner + offset, o * x.shape[axis] * inner + offset + len), o * len);
    offset += len;
    return out;
  });
};

const forwardSplit: ForwardFn = (ctx) => {
  const x = ctx.bottoms[0];
  return ctx.outputShapes.map(() => {
    const out = ctx.alloc(x.shape);
    out.data.set(x.data);
    return out;
  });
};

export const concat: LayerHandler = {
  type: 'Concat',
  category: 'concat',
  docs: {
    notes: 'Any axis (concat_dim too).',
  },
  paramField: 'concat_param',
  bottoms: ANY_FROM_1,
  tops: { min: 1, max: 1 },
  inPlaceOk: false,
  outputShapes(layer, inputShapes) {
    const first = inputShapes[0];
    const axis = joinAxis(layer, 'concat_param', first.length);
    const out = first.slice();
    for (let i = 1; i < inputShapes.length; i++) {
      const s = inputShapes[i];
      const ok = s.length === first.length && s.every((d, j) => j === axis || d === first[j]);
      if (!ok) {
        throw netError(
          layer,
          `bottoms must match on every axis but ${axis}: ${bottomLabel(layer, 0)} ${shapeText(first)} vs ${bottomLabel(layer, i)} ${shapeText(s)}`,
        );
      }
      out[axis] += s[axis];
    }
    return [out];
  },
  blobShapes: noBlobs,
  macs: noMacs,
  convert: { tfjs: convertConcat, onnx: onnxConcat },
  forward: forwardConcat,
};

export const slice: LayerHandler = {
  type: 'Slice',
  category: 'concat',
  docs: {
    notes: 'Any axis, slice points or equal parts.',
  },
  paramField: 'slice_param',
  bottoms: { min: 1, max: 1 },
  tops: ANY_FROM_1,
  inPlaceOk: false,
  outputShapes(layer, [input]) {
    const p = layer.slice_param ?? {};
    const axis = joinAxis(layer, 'slice_param', input.length);
    const tops = layer.top?.length ?? 1;
    const dim = input[axis];
    const points = p.slice_point ?? [];
    let sizes: number[];
    if (points.length > 0) {
      if (points.length !== tops - 1) {
        throw netError(layer, `${points.length} slice_point values need ${points.length + 1} tops, not ${tops}`);
      }
      const bounds = [0, ...points, dim];
      sizes = bounds.slice(1).map((b, i) => b - bounds[i]);
      if (sizes.some((s) => s <= 0)) {
        throw netError(layer, `slice_point values [${points.join(', ')}] must increase strictly and lie inside (0, ${dim})`);
      }
    } else {
      if (dim % tops !== 0) throw netError(layer, `axis ${axis} of size ${dim} cannot be split evenly into ${tops} tops`);
      sizes = new Array<number>(tops).fill(dim / tops);
    }
    return sizes.map((s) => {
      const out = input.slice();
      out[axis] = s;
      return out;
    });
  },
  blobShapes: noBlobs,
  macs: noMacs,
  convert: { tfjs: convertSlice, onnx: onnxSlice },
  forward: forwardSlice,
};

export const split: LayerHandler = {
  type: 'Split',
  category: 'concat',
  docs: {
    notes: 'Each top an Identity of the bottom.',
  },
  bottoms: { min: 1, max: 1 },
  tops: ANY_FROM_1,
  inPlaceOk: false,
  outputShapes: (layer, [input]) => (layer.top ?? []).map(() => input.slice()),
  blobShapes: noBlobs,
  macs: noMacs,
  convert: { tfjs: convertSplit, onnx: onnxSplit },
  forward: forwardSplit,
};
