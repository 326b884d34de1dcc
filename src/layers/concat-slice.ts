/** Concat, Slice and Split: joining, cutting and copying blobs along one axis. */
import type { LayerParameter } from '../schema';
import type { ConvertFn } from './convert-api';
import { type LayerHandler, type Shape, ANY_FROM_1, bottomLabel, canonicalAxis, countOf, netError, noBlobs, noMacs, shapeText } from './handler';
import { type ForwardFn, canonAxis } from './reference-api';
import { int } from '../onnx';
import type { OnnxConvertFn } from './onnx-api';

/** `axis`, or the legacy non-negative `concat_dim`/`slice_dim`; never both. */
function legacyAxis(layer: LayerParameter, axis: number | undefined, legacy: number | undefined, legacyName: string, input: Shape): number {
  if (axis !== undefined && legacy !== undefined) throw netError(layer, `either axis or ${legacyName} may be given, not both`);
  if (legacy !== undefined) {
    if (legacy >= input.length) throw netError(layer, `${legacyName} ${legacy} is out of range for a blob with ${input.length} axes`);
    return legacy;
  }
  return canonicalAxis(layer, axis ?? 1, input.length);
}

/** The axis as the converter reads it (the legacy field wins; shapes already checked them). */
function convertAxis(axis: number | undefined, legacy: number | undefined, rank: number): number {
  const a = legacy ?? axis ?? 1;
  return a < 0 ? a + rank : a;
}

const convertConcat: ConvertFn = (ctx) => {
  const p = ctx.layer.concat_param ?? {};
  const rank = ctx.inputShapes[0].length;
  if (ctx.inputs.length === 1) return [ctx.g.identity(ctx.inputs[0], { name: ctx.outName(0) })];
  return [ctx.g.concat(ctx.inputs, ctx.layout.tfAxis(convertAxis(p.axis, p.concat_dim, rank), rank), { name: ctx.outName(0) })];
};

const convertSlice: ConvertFn = (ctx) => {
  const { g } = ctx;
  const p = ctx.layer.slice_param ?? {};
  const rank = ctx.inputShapes[0].length;
  const axis = convertAxis(p.axis, p.slice_dim, rank);
  const sizes = ctx.outputShapes.map((s) => s[axis]);
  const parts = g.splitV(ctx.inputs[0], sizes, ctx.layout.tfAxis(axis, rank), { name: ctx.name('split') });
  return parts.map((t, i) => g.identity(t, { name: ctx.outName(i) }));
};

const onnxConcat: OnnxConvertFn = (ctx) => {
  const p = ctx.layer.concat_param ?? {};
  const rank = ctx.inputShapes[0].length;
  if (ctx.inputs.length === 1) return [ctx.g.op('Identity', [ctx.inputs[0]], ctx.outName(0))];
  return [ctx.g.op('Concat', ctx.inputs, ctx.outName(0), { axis: int(convertAxis(p.axis, p.concat_dim, rank)) })];
};

/** ONNX Split (opset 13: the sizes are an input), one output per top. */
const onnxSlice: OnnxConvertFn = (ctx) => {
  const { g } = ctx;
  const p = ctx.layer.slice_param ?? {};
  const axis = convertAxis(p.axis, p.slice_dim, ctx.inputShapes[0].length);
  if (ctx.outputShapes.length === 1) return [g.op('Identity', [ctx.inputs[0]], ctx.outName(0))];
  const sizes = g.int64Const(ctx.name('sizes'), ctx.outputShapes.map((s) => s[axis]));
  return g.opN('Split', [ctx.inputs[0], sizes], ctx.outputShapes.map((_, i) => ctx.outName(i)), { axis: int(axis) });
};

const onnxSplit: OnnxConvertFn = (ctx) => ctx.outputShapes.map((_, i) => ctx.g.op('Identity', [ctx.inputs[0]], ctx.outName(i)));

const convertSplit: ConvertFn = (ctx) => ctx.outputShapes.map((_, i) => ctx.g.identity(ctx.inputs[0], { name: ctx.outName(i) }));

const forwardConcat: ForwardFn = (ctx) => {
  const outShape = ctx.outputShapes[0];
  const cp = ctx.layer.concat_param ?? {};
  const axis = canonAxis(cp.axis ?? cp.concat_dim ?? 1, outShape.length);
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
  const sp = ctx.layer.slice_param ?? {};
  const axis = canonAxis(sp.axis ?? sp.slice_dim ?? 1, x.shape.length);
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
    const p = layer.concat_param ?? {};
    const first = inputShapes[0];
    const axis = legacyAxis(layer, p.axis, p.concat_dim, 'concat_dim', first);
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
    const axis = legacyAxis(layer, p.axis, p.slice_dim, 'slice_dim', input);
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
