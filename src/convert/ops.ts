/**
 * The TF conversion of each supported Caffe layer type, keyed by type. Each follows the layout
 * rule of context.ts and Caffe's TEST-phase forward exactly (see the per-type notes).
 */
import { UnsupportedLayerError } from '../errors';
import { convGeometry } from '../layers/conv';
import { poolGeometry } from '../layers/pooling';
import type { GraphBuilder, TensorRef } from '../tfgraph';
import type { ConvertContext, ConvertFn } from './context';
import { fromCaffeOrder, graphTarget, hostToGraphLayout, permuteHost, tfAxis, toCaffeOrder, transposeOrReshape } from './layout';

function unsupported(ctx: ConvertContext, detail: string): UnsupportedLayerError {
  return new UnsupportedLayerError(ctx.layer.name ?? '(unnamed)', ctx.layer.type ?? '?', detail);
}

function only1(ctx: ConvertContext, what: string): void {
  if (ctx.inputs.length !== 1 || ctx.outputShapes.length !== 1) throw unsupported(ctx, `is supported with one bottom and one top only (${what})`);
}

/**
 * A per-channel (Caffe axis 1) host vector as an operand broadcasting over a blob of `rank`
 * axes in graph layout: [C] for NHWC and [N, C]; [C, 1, ...] for other ranks.
 */
function channelShape(c: number, rank: number): number[] {
  if (rank === 4 || rank === 2) return [c];
  return [c, ...new Array<number>(Math.max(0, rank - 2)).fill(1)];
}

/**
 * A learned operand covering Caffe axes [axis, axis + k) of a blob with `rank` axes, as host data
 * in graph layout (size-1 elsewhere, so it broadcasts).
 */
function hostOperand(data: Float32Array, opShape: readonly number[], axis: number, rank: number): { data: Float32Array; shape: number[] } {
  const full = new Array<number>(rank).fill(1);
  opShape.forEach((d, i) => (full[axis + i] = d));
  const h = hostToGraphLayout(data, full);
  // Leading 1s are implied by broadcasting; dropping them keeps a per-channel operand 1-D.
  let s = 0;
  while (s < h.shape.length - 1 && h.shape[s] === 1) s++;
  return { data: h.data, shape: h.shape.slice(s) };
}

/**
 * A graph tensor (a blob of Caffe shape `opShape`) made to broadcast over a blob of `rank` axes
 * at Caffe axis `axis`: to Caffe order, reshape with 1s around it, to graph layout.
 */
function tensorOperand(ctx: ConvertContext, t: TensorRef, opShape: readonly number[], axis: number, rank: number, part: string): TensorRef {
  const { g } = ctx;
  const full = new Array<number>(rank).fill(1);
  opShape.forEach((d, i) => (full[axis + i] = d));
  if (t.shape.length === rank && full.every((d, i) => d === opShape[i])) return t; // same layout already
  const native = toCaffeOrder(g, t, ctx.name(`${part}/nchw`));
  const target = [...full];
  if (axis === 0 && native.shape[0] === -1) target[0] = -1;
  const shaped = native.shape.length === target.length && native.shape.every((d, i) => d === target[i])
    ? native
    : g.reshape(native, target, { name: ctx.name(`${part}/reshape`) });
  return fromCaffeOrder(g, shaped, ctx.name(`${part}/layout`));
}

// ------------------------------------------------------------------ convolution

/**
 * Caffe [O, I/G, kh, kw] -> HWIO [kh, kw, I/G, O], each output channel o times `mul[o]` when
 * given (BatchNorm folding). Per kernel position this is an O x I transpose, done in 32 x 32
 * tiles so both sides stay in cache (a plain strided loop is ~20x slower on SENet-154).
 */
export function hwio(w: { data: Float32Array; shape: readonly number[] }, mul?: Float64Array): { data: Float32Array; shape: number[] } {
  const [O, I, kh, kw] = w.shape;
  const KK = kh * kw;
  const src = w.data;
  const out = new Float32Array(src.length);
  const T = 32;
  for (let p = 0; p < KK; p++) {
    for (let o0 = 0; o0 < O; o0 += T) {
      const o1 = Math.min(O, o0 + T);
      for (let i0 = 0; i0 < I; i0 += T) {
        const i1 = Math.min(I, i0 + T);
        for (let o = o0; o < o1; o++) {
          const m = mul === undefined ? 1 : mul[o];
          const base = o * I * KK + p;
          for (let i = i0; i < i1; i++) out[(p * I + i) * O + o] = src[base + i * KK] * m;
        }
      }
    }
  }
  return { data: out, shape: [kh, kw, I, O] };
}

/**
 * Convolution with explicit symmetric padding. With BatchNorm/Scale folding (net.ts) the weights
 * are multiplied per output channel by `mul` and `bias` replaces the bias.
 */
export function convertConvolution(ctx: ConvertContext, mul?: Float64Array, bias?: Float32Array | null): TensorRef[] {
  only1(ctx, 'Convolution');
  const { g, layer } = ctx;
  const inShape = ctx.inputShapes[0];
  const geo = convGeometry(layer, inShape);
  if (inShape.length !== 4 || geo.channelAxis !== 1) throw unsupported(ctx, 'is supported for 4-axis (N,C,H,W) blobs with axis 1 only');
  const [sh, sw] = geo.stride;
  const [dh, dw] = geo.dilation;
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) throw unsupported(ctx, 'combines stride > 1 with dilation > 1, which TF.js cannot run');
  const [ph, pw] = geo.pad;
  const opts = { strides: [sh, sw] as [number, number], dilations: [dh, dw] as [number, number], pads: [ph, ph, pw, pw] as [number, number, number, number] };
  const b = bias === undefined ? (geo.biasTerm ? ctx.blobs[1].data : null) : bias;
  const f = hwio(ctx.blobs[0], mul);
  const cin = inShape[1];
  const G = geo.group;
  const O = geo.numOutput;
  const x = ctx.inputs[0];
  const last = b === null ? ctx.outName(0) : ctx.name('conv');
  let y: TensorRef;
  if (G === 1) {
    y = g.conv2d(x, f, { ...opts, name: last });
  } else if (G === cin) {
    // One input channel per group: depthwise with multiplier O/G; channel order c*M+m is Caffe's g*(O/G)+m.
    const m = O / G;
    y = g.depthwiseConv2d(x, { data: f.data, shape: [f.shape[0], f.shape[1], cin, m] }, { ...opts, name: last });
  } else {
    y = g.groupedConv2d(x, f, { ...opts, groups: G, name: last });
  }
  if (b !== null) y = g.biasAdd(y, { data: b, shape: [b.length] }, { name: ctx.outName(0) });
  return [y];
}

// ------------------------------------------------------------------ pooling

/**
 * Caffe pooling. Output size uses Caffe's rounding (handler). MAX: PadV2(-inf) then VALID, so
 * padding never wins. AVE: zero Pad then VALID AvgPool (sum / kh*kw) times a constant map
 * kh*kw / pool_size, where pool_size is Caffe's window clipped to the padded input (padding
 * counts, the ceil overhang beyond it does not).
 */
const convertPooling: ConvertFn = (ctx) => {
  const { g, layer } = ctx;
  if (ctx.outputShapes.length !== 1) throw unsupported(ctx, 'with a mask top is not supported');
  const pool = layer.pooling_param?.pool ?? 'MAX';
  if (pool !== 'MAX' && pool !== 'AVE') throw unsupported(ctx, `pool ${pool} is not supported`);
  const inShape = ctx.inputShapes[0];
  const geo = poolGeometry(layer, inShape);
  const x = ctx.inputs[0];
  const [, , H, W] = inShape;
  const [, , oh, ow] = ctx.outputShapes[0];
  if (geo.global || (geo.kernel[0] === H && geo.kernel[1] === W && geo.pad[0] === 0 && geo.pad[1] === 0 && oh === 1 && ow === 1)) {
    return [pool === 'MAX' ? g.max(x, [1, 2], true, { name: ctx.outName(0) }) : g.mean(x, [1, 2], true, { name: ctx.outName(0) })];
  }
  const [kh, kw] = geo.kernel;
  const [sh, sw] = geo.stride;
  const [ph, pw] = geo.pad;
  // Bottom/right padding so that VALID pooling yields exactly oh x ow windows: Caffe's ceil
  // overhang adds rows; a negative amount means trailing rows no window touches (cropped).
  const padB = (oh - 1) * sh + kh - H - ph;
  const padR = (ow - 1) * sw + kw - W - pw;
  let input = x;
  if (padB < 0 || padR < 0) {
    input = g.slice(x, [0, 0, 0, 0], [-1, H + Math.min(0, padB), W + Math.min(0, padR), -1], { name: ctx.name('crop') });
  }
  const pads: [number, number, number, number] = [ph, Math.max(0, padB), pw, Math.max(0, padR)];
  if (pool === 'MAX') {
    return [g.maxPool(input, { kernel: [kh, kw], strides: [sh, sw], pads, name: ctx.outName(0) })];
  }
  const avg = g.avgPool(input, { kernel: [kh, kw], strides: [sh, sw], pads, name: ctx.name('avg') });
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
  if (uniform) return [g.identity(avg, { name: ctx.outName(0) })];
  const c = g.constFloat(ctx.name('divisor'), map, [oh, ow, 1]);
  return [g.mul(avg, c, { name: ctx.outName(0) })];
};

// ------------------------------------------------------------------ normalisation and affine

/** BatchNorm's TEST-phase affine (scale, shift) per channel, in float64. */
export function batchNormAffine(ctx: Pick<ConvertContext, 'layer' | 'blobs'>): { mul: Float64Array; add: Float64Array } {
  const [mean, variance, factorBlob] = ctx.blobs;
  const sf = factorBlob.data[0];
  const factor = sf === 0 ? 0 : 1 / sf;
  const eps = ctx.layer.batch_norm_param?.eps ?? 1e-5;
  const c = mean.data.length;
  const mul = new Float64Array(c);
  const add = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    // Caffe works in float32: scaled statistics are rounded before use.
    const m = Math.fround(mean.data[i] * factor);
    const v = Math.fround(variance.data[i] * factor);
    const inv = 1 / Math.sqrt(Math.fround(v + eps));
    mul[i] = inv;
    add[i] = -m * inv;
  }
  return { mul, add };
}

function checkGlobalStats(ctx: ConvertContext): void {
  if (ctx.layer.batch_norm_param?.use_global_stats === false) {
    throw unsupported(ctx, 'has use_global_stats: false (batch statistics at test time) which a converted model cannot reproduce');
  }
}

function affine(ctx: ConvertContext, x: TensorRef, rank: number, mul: Float64Array | null, add: Float64Array | null): TensorRef {
  const { g } = ctx;
  const shape = channelShape((mul ?? add)!.length, rank);
  let y = x;
  if (mul !== null) {
    const name = add === null ? ctx.outName(0) : ctx.name('mul');
    y = g.mul(y, g.constFloat(ctx.name('scale'), Float32Array.from(mul), shape), { name });
  }
  if (add !== null) y = g.add(y, g.constFloat(ctx.name('shift'), Float32Array.from(add), shape), { name: ctx.outName(0) });
  return y;
}

const convertBatchNorm: ConvertFn = (ctx) => {
  checkGlobalStats(ctx);
  const { mul, add } = batchNormAffine(ctx);
  return [affine(ctx, ctx.inputs[0], ctx.inputShapes[0].length, mul, add)];
};

export { checkGlobalStats };

/** Scale: y = x * s (+ b); s learned (one bottom) or bottom[1]; any axis / num_axes. */
const convertScale: ConvertFn = (ctx) => {
  const { g, layer } = ctx;
  const p = layer.scale_param ?? {};
  const inShape = ctx.inputShapes[0];
  const rank = inShape.length;
  const two = ctx.inputs.length === 2;
  const opShape = two ? ctx.inputShapes[1] : ctx.blobs[0].shape;
  const axis = opShape.length === 0 ? 0 : (p.axis ?? 1) < 0 ? (p.axis ?? 1) + rank : (p.axis ?? 1);
  const hasBias = p.bias_term ?? false;
  const biasBlob = hasBias ? ctx.blobs[two ? 0 : 1] : undefined;
  const s = two
    ? tensorOperand(ctx, ctx.inputs[1], opShape, axis, rank, 'scale')
    : (() => {
        const h = hostOperand(ctx.blobs[0].data, opShape, axis, rank);
        return g.constFloat(ctx.name('scale'), h.data, h.shape);
      })();
  let y = g.mul(ctx.inputs[0], s, { name: biasBlob ? ctx.name('mul') : ctx.outName(0) });
  if (biasBlob) {
    const h = hostOperand(biasBlob.data, opShape, axis, rank);
    y = g.add(y, g.constFloat(ctx.name('bias'), h.data, h.shape), { name: ctx.outName(0) });
  }
  return [y];
};

const convertBias: ConvertFn = (ctx) => {
  const { g, layer } = ctx;
  const p = layer.bias_param ?? {};
  const rank = ctx.inputShapes[0].length;
  const two = ctx.inputs.length === 2;
  const opShape = two ? ctx.inputShapes[1] : ctx.blobs[0].shape;
  const axis = opShape.length === 0 ? 0 : (p.axis ?? 1) < 0 ? (p.axis ?? 1) + rank : (p.axis ?? 1);
  const b = two
    ? tensorOperand(ctx, ctx.inputs[1], opShape, axis, rank, 'bias')
    : (() => {
        const h = hostOperand(ctx.blobs[0].data, opShape, axis, rank);
        return g.constFloat(ctx.name('bias'), h.data, h.shape);
      })();
  return [g.add(ctx.inputs[0], b, { name: ctx.outName(0) })];
};

/** Axpy (SENet): top = a * X + Y, a is N x C (x 1 x 1) scaling X's channels. */
const convertAxpy: ConvertFn = (ctx) => {
  const { g } = ctx;
  const [aShape, xShape] = ctx.inputShapes;
  const [a, x, y] = ctx.inputs;
  const rank = xShape.length;
  const aOp = tensorOperand(ctx, a, aShape.slice(0, 2), 0, rank, 'a');
  const ax = g.mul(x, aOp, { name: ctx.name('mul') });
  return [g.add(ax, y, { name: ctx.outName(0) })];
};

// ------------------------------------------------------------------ inner product

const convertInnerProduct: ConvertFn = (ctx) => {
  const { g, layer } = ctx;
  const p = layer.inner_product_param ?? {};
  const inShape = ctx.inputShapes[0];
  const rank = inShape.length;
  const axis = (p.axis ?? 1) < 0 ? (p.axis ?? 1) + rank : (p.axis ?? 1);
  const transpose = p.transpose ?? false;
  const w = ctx.blobs[0];
  const n = p.num_output ?? 0;
  const k = w.data.length / n;
  let data = w.data;
  let flat: TensorRef;
  if (rank === 4 && axis === 1) {
    // Caffe flattens (C,H,W); the graph holds (H,W,C): permute the weights' K index instead of the data.
    const [, C, H, W] = inShape;
    const rows = transpose ? [C, H, W, n] : [n, C, H, W];
    const perm = transpose ? [1, 2, 0, 3] : [0, 2, 3, 1];
    data = permuteHost(w.data, rows, perm);
    flat = g.reshape(ctx.inputs[0], [-1, k], { name: ctx.name('flatten') });
  } else {
    const native = toCaffeOrder(g, ctx.inputs[0], ctx.name('nchw'));
    flat = g.reshape(native, [-1, k], { name: ctx.name('flatten') });
  }
  const outShape = ctx.outputShapes[0];
  const direct = outShape.length === 2 && axis === 1;
  const hasBias = p.bias_term ?? true;
  const mmName = hasBias ? ctx.name('matmul') : direct ? ctx.outName(0) : ctx.name('matmul');
  let y = g.matMul(flat, { data, shape: transpose ? [k, n] : [n, k] }, { name: mmName, transposeB: !transpose });
  if (hasBias) y = g.biasAdd(y, { data: ctx.blobs[1].data, shape: [n] }, { name: direct ? ctx.outName(0) : ctx.name('bias') });
  if (direct) return [y];
  const shaped = g.reshape(y, graphTarget(outShape, ctx.inputs[0]), { name: outShape.length === 4 ? ctx.name('unflatten') : ctx.outName(0) });
  return [outShape.length === 4 ? g.transpose(shaped, [0, 2, 3, 1], { name: ctx.outName(0) }) : shaped];
};

// ------------------------------------------------------------------ elementwise and structure

const convertEltwise: ConvertFn = (ctx) => {
  const { g, layer } = ctx;
  const p = layer.eltwise_param ?? {};
  const op = p.operation ?? 'SUM';
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

function concatAxis(axis: number | undefined, legacy: number | undefined, rank: number): number {
  const a = legacy ?? axis ?? 1;
  return a < 0 ? a + rank : a;
}

const convertConcat: ConvertFn = (ctx) => {
  const p = ctx.layer.concat_param ?? {};
  const rank = ctx.inputShapes[0].length;
  if (ctx.inputs.length === 1) return [ctx.g.identity(ctx.inputs[0], { name: ctx.outName(0) })];
  return [ctx.g.concat(ctx.inputs, tfAxis(concatAxis(p.axis, p.concat_dim, rank), rank), { name: ctx.outName(0) })];
};

const convertSlice: ConvertFn = (ctx) => {
  const { g } = ctx;
  const p = ctx.layer.slice_param ?? {};
  const rank = ctx.inputShapes[0].length;
  const axis = concatAxis(p.axis, p.slice_dim, rank);
  const sizes = ctx.outputShapes.map((s) => s[axis]);
  const parts = g.splitV(ctx.inputs[0], sizes, tfAxis(axis, rank), { name: ctx.name('split') });
  return parts.map((t, i) => g.identity(t, { name: ctx.outName(i) }));
};

const convertSplit: ConvertFn = (ctx) => ctx.outputShapes.map((_, i) => ctx.g.identity(ctx.inputs[0], { name: ctx.outName(i) }));

/** Reshape and Flatten: in Caffe's element order (see context.ts). */
const convertReshape: ConvertFn = (ctx) => {
  const { g } = ctx;
  const inShape = ctx.inputShapes[0];
  const outShape = ctx.outputShapes[0];
  const x = ctx.inputs[0];
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return [g.identity(x, { name: ctx.outName(0) })];
  const native = toCaffeOrder(g, x, ctx.name('nchw'));
  const target = graphTarget(outShape, x);
  if (outShape.length !== 4) return [g.reshape(native, target, { name: ctx.outName(0) })];
  const r = g.reshape(native, target, { name: ctx.name('reshape') });
  const perm = [0, 2, 3, 1];
  const y = transposeOrReshape(g, r, perm, ctx.outName(0));
  return [y === r ? g.identity(r, { name: ctx.outName(0) }) : y];
};

const convertSoftmax: ConvertFn = (ctx) => {
  const { g } = ctx;
  const rank = ctx.inputShapes[0].length;
  const a0 = ctx.layer.softmax_param?.axis ?? 1;
  const ax = tfAxis(a0 < 0 ? a0 + rank : a0, rank);
  const x = ctx.inputs[0];
  if (ax === rank - 1) return [g.softmax(x, { name: ctx.outName(0) })];
  const perm = [...Array(rank).keys()];
  perm[ax] = rank - 1;
  perm[rank - 1] = ax;
  const t = transposeOrReshape(g, x, perm, ctx.name('to_last'));
  const s = g.softmax(t, { name: ctx.name('softmax') });
  const y = transposeOrReshape(g, s, perm, ctx.outName(0));
  return [y === s ? g.identity(s, { name: ctx.outName(0) }) : y];
};

// ------------------------------------------------------------------ neurons

const convertReLU: ConvertFn = (ctx) => {
  const slope = ctx.layer.relu_param?.negative_slope ?? 0;
  const x = ctx.inputs[0];
  return [slope === 0 ? ctx.g.relu(x, { name: ctx.outName(0) }) : ctx.g.leakyRelu(x, slope, { name: ctx.outName(0) })];
};

const convertPReLU: ConvertFn = (ctx) => {
  const rank = ctx.inputShapes[0].length;
  const a = ctx.blobs[0].data;
  const shape = ctx.layer.prelu_param?.channel_shared ? [1] : channelShape(a.length, rank);
  return [ctx.g.prelu(ctx.inputs[0], { data: a, shape }, { name: ctx.outName(0) })];
};

const convertELU: ConvertFn = (ctx) => {
  const { g } = ctx;
  const alpha = ctx.layer.elu_param?.alpha ?? 1;
  const x = ctx.inputs[0];
  if (alpha === 1) return [g.elu(x, { name: ctx.outName(0) })];
  // max(x, 0) + alpha * (exp(min(x, 0)) - 1)
  const zero = g.scalar(ctx.name('zero'), 0);
  const pos = g.relu(x, { name: ctx.name('pos') });
  const e = g.exp(g.minimum(x, zero, { name: ctx.name('neg') }), { name: ctx.name('exp') });
  const em1 = g.sub(e, g.scalar(ctx.name('one'), 1), { name: ctx.name('expm1') });
  const neg = g.mul(em1, g.scalar(ctx.name('alpha'), alpha), { name: ctx.name('scaled') });
  return [g.add(pos, neg, { name: ctx.outName(0) })];
};

const convertPower: ConvertFn = (ctx) => {
  const { g } = ctx;
  const p = ctx.layer.power_param ?? {};
  const power = p.power ?? 1;
  const scale = p.scale ?? 1;
  const shift = p.shift ?? 0;
  let y = ctx.inputs[0];
  const steps: Array<(t: TensorRef, name: string) => TensorRef> = [];
  if (scale !== 1) steps.push((t, name) => g.mul(t, g.scalar(ctx.name('scale'), scale), { name }));
  if (shift !== 0) steps.push((t, name) => g.add(t, g.scalar(ctx.name('shift'), shift), { name }));
  if (power !== 1) steps.push((t, name) => g.pow(t, g.scalar(ctx.name('power'), power), { name }));
  if (steps.length === 0) return [g.identity(y, { name: ctx.outName(0) })];
  steps.forEach((f, i) => (y = f(y, i === steps.length - 1 ? ctx.outName(0) : ctx.name(`step${i}`))));
  return [y];
};

const simple = (f: (g: GraphBuilder, x: TensorRef, o: { name: string }) => TensorRef): ConvertFn => (ctx) => [f(ctx.g, ctx.inputs[0], { name: ctx.outName(0) })];

/**
 * LRN. ACROSS_CHANNELS: x / (k + alpha/n * sum of x^2 over n channels)^beta, the window sum as a
 * 1x1 convolution with a band matrix (exact; TF's LRN uses alpha per element and a radius).
 * WITHIN_CHANNEL: x / (1 + alpha * mean of x^2 over an n x n zero-padded window)^beta.
 */
const convertLRN: ConvertFn = (ctx) => {
  const { g } = ctx;
  const p = ctx.layer.lrn_param ?? {};
  const n = p.local_size ?? 5;
  const alpha = p.alpha ?? 1;
  const beta = p.beta ?? 0.75;
  const k = p.k ?? 1;
  const x = ctx.inputs[0];
  const sq = g.square(x, { name: ctx.name('square') });
  const r = (n - 1) / 2;
  let scale: TensorRef;
  if ((p.norm_region ?? 'ACROSS_CHANNELS') === 'ACROSS_CHANNELS') {
    const C = ctx.inputShapes[0][1];
    const band = new Float32Array(C * C);
    for (let i = 0; i < C; i++) for (let j = Math.max(0, i - r); j <= Math.min(C - 1, i + r); j++) band[i * C + j] = alpha / n;
    const s = g.conv2d(sq, { data: band, shape: [1, 1, C, C] }, { name: ctx.name('window') });
    scale = g.add(s, g.scalar(ctx.name('k'), k), { name: ctx.name('scale') });
  } else {
    const avg = g.avgPool(sq, { kernel: [n, n], pads: [r, r, r, r], name: ctx.name('window') });
    const s = g.mul(avg, g.scalar(ctx.name('alpha'), alpha), { name: ctx.name('scaled') });
    scale = g.add(s, g.scalar(ctx.name('one'), 1), { name: ctx.name('scale') });
  }
  const pw = g.pow(scale, g.scalar(ctx.name('neg_beta'), -beta), { name: ctx.name('pow') });
  return [g.mul(x, pw, { name: ctx.outName(0) })];
};

/** Every supported type but Input and the folding logic (net.ts). */
export const CONVERTERS: Readonly<Record<string, ConvertFn>> = {
  Convolution: (ctx) => convertConvolution(ctx),
  Pooling: convertPooling,
  BatchNorm: convertBatchNorm,
  Scale: convertScale,
  Bias: convertBias,
  Axpy: convertAxpy,
  InnerProduct: convertInnerProduct,
  Eltwise: convertEltwise,
  Concat: convertConcat,
  Slice: convertSlice,
  Split: convertSplit,
  Reshape: convertReshape,
  Flatten: convertReshape,
  Softmax: convertSoftmax,
  ReLU: convertReLU,
  PReLU: convertPReLU,
  ELU: convertELU,
  Sigmoid: simple((g, x, o) => g.sigmoid(x, o)),
  TanH: simple((g, x, o) => g.tanh(x, o)),
  AbsVal: simple((g, x, o) => g.abs(x, o)),
  Power: convertPower,
  LRN: convertLRN,
  Dropout: simple((g, x, o) => g.identity(x, o)),
};
