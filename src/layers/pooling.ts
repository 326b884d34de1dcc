/** Pooling: Caffe's PoolingLayer geometry, including its ceil rounding and the pad clip; TF conversion. */
import { layerParam, type LayerParameter, type PoolingParameter } from '../schema';
import type { ConvertFn } from './convert-api';
import { unsupported } from './convert-util';
import { UnsupportedLayerError } from '../errors';
import { ints } from '../onnx';
import type { OnnxConvertFn } from './onnx-api';
import { unsupportedOnnx } from './onnx-util';
import { type LayerHandler, type Shape, netError, noBlobs, noMacs } from './handler';
import type { ForwardFn } from './reference-api';

export interface PoolGeometry {
  kernel: [number, number];
  stride: [number, number];
  pad: [number, number];
  global: boolean;
  roundMode: 'CEIL' | 'FLOOR';
}

function pair(
  layer: LayerParameter,
  name: string,
  single: number | undefined,
  h: number | undefined,
  w: number | undefined,
  dflt: number | undefined,
): [number, number] {
  if (h !== undefined || w !== undefined) {
    if (single !== undefined) throw netError(layer, `either ${name} or ${name}_h/${name}_w may be given, not both`);
    if (h === undefined || w === undefined) throw netError(layer, `both ${name}_h and ${name}_w are required`);
    return [h ?? 0, w ?? 0];
  }
  const v = single ?? dflt;
  if (v === undefined) throw netError(layer, `${name}_size or ${name}_h and ${name}_w are required`);
  return [v, v];
}

export function poolGeometry(layer: LayerParameter, input: Shape): PoolGeometry {
  // Raw for the fields whose presence matters (kernel, pad_h overriding pad, ...), resolved for the rest.
  const p: PoolingParameter = layer.pooling_param ?? {};
  const r = layerParam(layer, 'pooling_param');
  if (input.length !== 4) throw netError(layer, `input must have 4 axes (num, channels, height, width); got ${input.length}`);
  const global = r.global_pooling;
  let kernel: [number, number];
  if (global) {
    if (p.kernel_size !== undefined || p.kernel_h !== undefined || p.kernel_w !== undefined) {
      throw netError(layer, 'with global_pooling the kernel size may not be given');
    }
    kernel = [input[2], input[3]];
  } else {
    if (p.kernel_size !== undefined && (p.kernel_h !== undefined || p.kernel_w !== undefined)) {
      throw netError(layer, 'either kernel_size or kernel_h/kernel_w may be given, not both');
    }
    if (p.kernel_size === undefined && (p.kernel_h === undefined || p.kernel_w === undefined)) {
      throw netError(layer, p.kernel_h === undefined && p.kernel_w === undefined ? 'kernel_size is required' : 'both kernel_h and kernel_w are required');
    }
    kernel = p.kernel_size !== undefined ? [p.kernel_size, p.kernel_size] : [p.kernel_h ?? 0, p.kernel_w ?? 0];
  }
  if (kernel[0] <= 0 || kernel[1] <= 0) throw netError(layer, 'kernel dimensions must be greater than zero');
  // Unlike Convolution, Pooling wants both of pad_h/pad_w (and stride_h/stride_w) or neither.
  const pad = pair(layer, 'pad', p.pad, p.pad_h, p.pad_w, r.pad);
  const stride = pair(layer, 'stride', p.stride, p.stride_h, p.stride_w, r.stride);
  if (stride[0] <= 0 || stride[1] <= 0) throw netError(layer, 'stride must be greater than zero');
  if (global && (pad[0] !== 0 || pad[1] !== 0 || stride[0] !== 1 || stride[1] !== 1)) {
    throw netError(layer, 'with global_pooling only pad = 0 and stride = 1 are allowed');
  }
  if (pad[0] !== 0 || pad[1] !== 0) {
    const pool = r.pool;
    if (pool !== 'MAX' && pool !== 'AVE') throw netError(layer, `padding is implemented only for MAX and AVE pooling, not ${pool}`);
    if (pad[0] >= kernel[0] || pad[1] >= kernel[1]) throw netError(layer, 'pad must be smaller than the kernel');
  }
  return { kernel, stride, pad, global, roundMode: r.round_mode };
}

/**
 * One spatial output size, as Caffe's PoolingLayer::Reshape. `padded`: whether the layer has any
 * padding (pad_h or pad_w), which is what Caffe tests before clipping either axis.
 */
export function pooledSize(input: number, kernel: number, stride: number, pad: number, roundMode: 'CEIL' | 'FLOOR', padded: boolean): number {
  const span = input + 2 * pad - kernel;
  let out = (roundMode === 'CEIL' ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // With padding, the last window must start inside the image or the left padding, never in
  // the right padding only. Caffe clips both axes when either is padded; without any padding
  // nothing is clipped, so a stride above the kernel can leave the last window wholly past the input.
  if (padded && (out - 1) * stride >= input + pad) out -= 1;
  return out;
}

/** Largest finite float32: Caffe's MAX pooling starts every output at its negative, not at -inf. */
export const FLT_MAX = 3.4028234663852886e38;

/**
 * Caffe's pooling windows in a form every target can run in floor mode: whether the pooling is
 * global (one window covering the whole, unpadded input), and the bottom/right padding that makes
 * floor-mode pooling yield exactly oh x ow windows. Caffe's ceil overhang adds rows; a negative
 * amount means trailing rows no window reads, which `crop` keeps out (rows, cols to keep).
 * `inside`: how many rows and columns of windows read some input element; `empty`: fewer than
 * all, i.e. the last row or column starts at or past the input's end (only unpadded CEIL pooling
 * with a stride above the kernel has such windows; the end padding is then at least the kernel).
 */
function floorModeWindows(geo: PoolGeometry, H: number, W: number, oh: number, ow: number): { global: boolean; padB: number; padR: number; crop?: [number, number]; inside: [number, number]; empty: boolean } {
  const [kh, kw] = geo.kernel;
  const global = geo.global || (kh === H && kw === W && geo.pad[0] === 0 && geo.pad[1] === 0 && oh === 1 && ow === 1);
  const padB = (oh - 1) * geo.stride[0] + kh - H - geo.pad[0];
  const padR = (ow - 1) * geo.stride[1] + kw - W - geo.pad[1];
  const crop: [number, number] | undefined = padB < 0 || padR < 0 ? [H + Math.min(0, padB), W + Math.min(0, padR)] : undefined;
  // Window i starts at i*stride - pad, which is inside for i < (size + pad) / stride.
  const inside: [number, number] = [Math.min(oh, Math.ceil((H + geo.pad[0]) / geo.stride[0])), Math.min(ow, Math.ceil((W + geo.pad[1]) / geo.stride[1]))];
  const empty = !global && (inside[0] < oh || inside[1] < ow);
  return { global, padB: Math.max(0, padB), padR: Math.max(0, padR), crop, inside, empty };
}

/**
 * Caffe pooling. Output size uses Caffe's rounding (above). MAX: PadV2(-inf) then VALID, so
 * padding never wins; with an empty window (floorModeWindows) the padding is -FLT_MAX instead,
 * Caffe's value there, which still never beats an input value. AVE: zero Pad then VALID AvgPool
 * (sum / kh*kw) times a constant map kh*kw / pool_size, where pool_size is Caffe's window
 * clipped to the padded input (padding counts, the ceil overhang beyond it does not).
 */
const convertPooling: ConvertFn = (ctx) => {
  const { g, layer } = ctx;
  if (ctx.outputShapes.length !== 1) throw unsupported(ctx, 'with a mask top is not supported');
  const pool = layerParam(layer, 'pooling_param').pool;
  if (pool !== 'MAX' && pool !== 'AVE') throw unsupported(ctx, `pool ${pool} is not supported`);
  const inShape = ctx.inputShapes[0];
  const geo = poolGeometry(layer, inShape);
  const x = ctx.inputs[0];
  const [, , H, W] = inShape;
  const [, , oh, ow] = ctx.outputShapes[0];
  const win = floorModeWindows(geo, H, W, oh, ow);
  if (win.global) {
    return [pool === 'MAX' ? g.max(x, [1, 2], true, { name: ctx.outName(0) }) : g.mean(x, [1, 2], true, { name: ctx.outName(0) })];
  }
  const [kh, kw] = geo.kernel;
  const [sh, sw] = geo.stride;
  const [ph, pw] = geo.pad;
  const input = win.crop === undefined ? x : g.slice(x, [0, 0, 0, 0], [-1, win.crop[0], win.crop[1], -1], { name: ctx.name('crop') });
  const pads: [number, number, number, number] = [ph, win.padB, pw, win.padR];
  if (pool === 'MAX') {
    // Only then: the graph of every other net stays as it was.
    const padValue = win.empty ? -FLT_MAX : undefined;
    return [g.maxPool(input, { kernel: [kh, kw], strides: [sh, sw], pads, padValue, name: ctx.outName(0) })];
  }
  const avg = g.avgPool(input, { kernel: [kh, kw], strides: [sh, sw], pads, name: ctx.name('avg') });
  const map = aveCorrection(H, W, geo, oh, ow);
  if (map === undefined) return [g.identity(avg, { name: ctx.outName(0) })];
  const c = g.constFloat(ctx.name('divisor'), map, [oh, ow, 1]);
  return [g.mul(avg, c, { name: ctx.outName(0) })];
};

/** MAX and AVE; AVE sums in float64 and divides once. The mask top is not computed. */
const forwardPooling: ForwardFn = (ctx) => {
  const p = ctx.layer;
  const x = ctx.bottoms[0];
  const outShape = ctx.outputShapes[0];
  const g = poolGeometry(p, x.shape);
  const pool = layerParam(p, 'pooling_param').pool;
  if (pool !== 'MAX' && pool !== 'AVE') throw new UnsupportedLayerError(p.name ?? '', 'Pooling', `pool ${pool} is not supported by the reference forward pass`);
  const [N, C, H, W] = x.shape;
  const [, , OH, OW] = outShape;
  const [KH, KW] = g.kernel;
  const [SH, SW] = g.stride;
  const [PH, PW] = g.pad;
  const out = ctx.alloc(outShape);
  for (let nc = 0; nc < N * C; nc++) {
    const xb = nc * H * W;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let hs = oy * SH - PH;
        let ws = ox * SW - PW;
        let he = Math.min(hs + KH, H + PH);
        let we = Math.min(ws + KW, W + PW);
        // Caffe's AVE divides by the window clipped to the padded image, before clipping to the image.
        const size = (he - hs) * (we - ws);
        hs = Math.max(hs, 0);
        ws = Math.max(ws, 0);
        he = Math.min(he, H);
        we = Math.min(we, W);
        let v: number;
        if (pool === 'MAX') {
          v = -FLT_MAX;
          for (let y = hs; y < he; y++) for (let xx = ws; xx < we; xx++) v = Math.max(v, x.data[xb + y * W + xx]);
        } else {
          let s = 0;
          for (let y = hs; y < he; y++) for (let xx = ws; xx < we; xx++) s += x.data[xb + y * W + xx];
          v = s / size;
        }
        out.data[(nc * OH + oy) * OW + ox] = v;
      }
    }
  }
  return [out];
};

/**
 * The divisor correction of an AVE pooling that divided by kh*kw everywhere: kh*kw / Caffe's
 * window clipped to the padded input (padding counts, the ceil overhang beyond it does not).
 * Undefined when every window is whole.
 */
function aveCorrection(H: number, W: number, geo: PoolGeometry, oh: number, ow: number): Float32Array | undefined {
  const [kh, kw] = geo.kernel;
  const [sh, sw] = geo.stride;
  const [ph, pw] = geo.pad;
  const map = new Float32Array(oh * ow);
  let uniform = true;
  for (let i = 0; i < oh; i++) {
    const hs = i * sh - ph;
    const he = Math.min(hs + kh, H + ph);
    for (let j = 0; j < ow; j++) {
      const ws = j * sw - pw;
      const we = Math.min(ws + kw, W + pw);
      const v = (kh * kw) / ((he - hs) * (we - ws));
      map[i * ow + j] = v;
      if (v !== 1) uniform = false;
    }
  }
  return uniform ? undefined : map;
}

/**
 * ONNX pooling with Caffe's geometry made explicit rather than trusting a runtime's ceil_mode
 * rule: the overhang of Caffe's ceil rounding becomes end padding (or a crop of rows no window
 * reads) and pooling runs in floor mode. MAX ignores padding (as Caffe's -inf); AVE pads with
 * zeros explicitly, divides by kh*kw and is corrected by the divisor map (aveCorrection). Empty windows (floorModeWindows) are not pooled: ONNX Runtime
 * folds a Pad into the pool after it and then refuses end padding as large as the kernel. The
 * others are pooled and the output padded with Caffe's value: -FLT_MAX for MAX; for AVE 0, which
 * the divisor map (infinite or negative there, from Caffe's window size 0 or below) turns into
 * Caffe's NaN or signed zero.
 */
const onnxPooling: OnnxConvertFn = (ctx) => {
  const { g, layer } = ctx;
  if (ctx.outputShapes.length !== 1) throw unsupportedOnnx(ctx, 'with a mask top is not supported');
  const pool = layerParam(layer, 'pooling_param').pool;
  if (pool !== 'MAX' && pool !== 'AVE') throw unsupportedOnnx(ctx, `pool ${pool} is not supported`);
  const inShape = ctx.inputShapes[0];
  const geo = poolGeometry(layer, inShape);
  const [, , H, W] = inShape;
  const [, , oh, ow] = ctx.outputShapes[0];
  const x = ctx.inputs[0];
  const all = floorModeWindows(geo, H, W, oh, ow);
  if (all.global) {
    return [g.op(pool === 'MAX' ? 'GlobalMaxPool' : 'GlobalAveragePool', [x], ctx.outName(0))];
  }
  // The windows pooled: all, or those that read some input.
  const win = all.empty ? floorModeWindows(geo, H, W, all.inside[0], all.inside[1]) : all;
  /** The empty windows' rows and columns appended to the pooled ones, holding `value`. */
  const fill = (y: string, value: number, out: string): string => {
    const pads = g.int64Const(ctx.name('fill/pads'), [0, 0, 0, 0, 0, 0, oh - all.inside[0], ow - all.inside[1]]);
    return g.op('Pad', [y, pads, g.floatConst(ctx.name('fill/value'), [value], [])], out);
  };
  const [kh, kw] = geo.kernel;
  const [sh, sw] = geo.stride;
  const [ph, pw] = geo.pad;
  let input = x;
  if (win.crop !== undefined) {
    const ends = g.int64Const(ctx.name('crop/ends'), win.crop);
    input = g.op('Slice', [x, g.int64Const(ctx.name('crop/starts'), [0, 0]), ends, g.int64Const(ctx.name('crop/axes'), [2, 3])], ctx.name('crop'));
  }
  const pb = win.padB;
  const pr = win.padR;
  const attrs = { kernel_shape: ints([kh, kw]), strides: ints([sh, sw]) };
  if (pool === 'MAX') {
    const maxAttrs = { ...attrs, pads: ints([ph, pw, pb, pr]) };
    if (!all.empty) return [g.op('MaxPool', [input], ctx.outName(0), maxAttrs)];
    return [fill(g.op('MaxPool', [input], ctx.name('pool'), maxAttrs), -FLT_MAX, ctx.outName(0))];
  }
  const map = aveCorrection(H, W, geo, oh, ow);
  if (ph + pw + pb + pr > 0) {
    const pads = g.int64Const(ctx.name('pads'), [0, 0, ph, pw, 0, 0, pb, pr]);
    input = g.op('Pad', [input, pads], ctx.name('pad'));
  }
  if (map === undefined) return [g.op('AveragePool', [input], ctx.outName(0), attrs)];
  let avg = g.op('AveragePool', [input], ctx.name('avg'), attrs);
  if (all.empty) avg = fill(avg, 0, ctx.name('fill'));
  return [g.op('Mul', [avg, g.floatConst(ctx.name('divisor'), map, [oh, ow])], ctx.outName(0))];
};

export const pooling: LayerHandler = {
  type: 'Pooling',
  category: 'pool',
  docs: {
    notes: 'MAX and AVE by Caffe\'s ceil rule with the pad clip (on both axes when either is padded): MAX pads with -inf, AVE divides by the window clipped to the padded input; a window wholly past the input (unpadded, stride above the kernel) gives Caffe\'s -FLT_MAX (MAX) or 0 over its size of 0 or less (AVE: NaN or a signed zero); global pooling.',
    refused: {
      tfjs: [
        'pool: STOCHASTIC: not implemented',
        'a second (mask) top: not implemented',
      ],
      onnx: [
        'pool: STOCHASTIC: not implemented',
        'a second (mask) top: not implemented',
      ],
    },
  },
  paramField: 'pooling_param',
  bottoms: { min: 1, max: 1 },
  // MAX pooling may have a second top holding the argmax mask.
  tops: { min: 1, max: 2 },
  inPlaceOk: false,
  outputShapes(layer, inputShapes) {
    const input = inputShapes[0];
    const g = poolGeometry(layer, input);
    const padded = g.pad[0] !== 0 || g.pad[1] !== 0;
    const h = pooledSize(input[2], g.kernel[0], g.stride[0], g.pad[0], g.roundMode, padded);
    const w = pooledSize(input[3], g.kernel[1], g.stride[1], g.pad[1], g.roundMode, padded);
    if (h <= 0 || w <= 0) throw netError(layer, `output size ${h}x${w} is not positive (input ${input[2]}x${input[3]})`);
    const out = [input[0], input[1], h, w];
    const tops = layer.top?.length ?? 1;
    if (tops === 2 && layerParam(layer, 'pooling_param').pool !== 'MAX') {
      throw netError(layer, 'only MAX pooling can have a second (mask) top');
    }
    return tops === 2 ? [out, out.slice()] : [out];
  },
  blobShapes: noBlobs,
  macs: noMacs,
  convert: { tfjs: convertPooling, onnx: onnxPooling },
  forward: forwardPooling,
};
