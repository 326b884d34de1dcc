/**
 * The project's one plain-loop NCHW forward pass with Caffe's TEST-phase semantics. It calibrates
 * random BatchNorm statistics (random.ts) and is the semantic reference the converter and parity
 * tests compare against (test/convert, test/parity). Written for clarity; fast enough for the
 * reduced fixture nets. Shapes and geometry (padding, ceil/floor pooled sizes, Reshape, Slice
 * points) come from the layer handlers (inferShapes, convGeometry, poolGeometry), so each rule
 * lives in one place; this module only computes values.
 *
 * Accumulation: every blob is stored as float32 after its layer. Sums (convolution,
 * InnerProduct, AVE pooling, Eltwise SUM, Softmax, LRN, BatchNorm batch statistics) are taken in
 * float64 in a fixed order and rounded once when stored, so results differ from Caffe's float32
 * BLAS by float32 rounding only. Where Caffe's own float32 steps are part of the semantics they
 * are kept: BatchNorm rounds the scaled statistics, variance + eps, its square root and x - mean;
 * Scale with bias rounds x * gamma before adding beta; Eltwise PROD rounds each product.
 * Transcendentals use prng.ts's engine-independent functions. Calibrated random weights depend on
 * these exact orders and roundings: changing them changes the fixtures' weights (their sha256 is
 * checked by test/parity).
 */
import { UnsupportedLayerError, WeightsError } from '../errors';
import { type LayerShapes, type NetShapes, countOf, convGeometry, inferShapes, poolGeometry } from '../layers';
import type { LayerParameter, NetParameter } from '../schema';
import { detExp, detTanh } from './prng';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface ReferenceForwardOptions {
  /** One tensor per net input (Input layer top or legacy input), by blob name. */
  inputs: Record<string, Tensor>;
  /**
   * Stored blobs by layer name, in Caffe's order (BlobData fits). Read when a layer runs, so a hook
   * may change them just before.
   */
  weights: ReadonlyMap<string, readonly Tensor[]>;
  /** Called before a layer computes, with its bottoms (e.g. to calibrate BatchNorm statistics). */
  beforeLayer?: (layer: LayerShapes, param: LayerParameter, bottoms: Tensor[]) => void;
  /** Called after a layer computed, with its tops. */
  afterLayer?: (layer: LayerShapes, param: LayerParameter, tops: Tensor[]) => void;
  /** Shapes from a previous inferShapes call with the same inputs (saves recomputing them). */
  shapes?: NetShapes;
}

/** Types that compute nothing at test time that a deploy net would use; their tops get no value. */
function notEvaluated(type: string): boolean {
  return type === 'Silence' || type === 'Accuracy' || type.endsWith('Loss');
}

/**
 * Runs the net (layers of the TEST phase unless net.state says otherwise, as inferShapes); returns
 * every blob after the last layer that wrote it (in-place layers replace their bottom), as Caffe's
 * blob dump shows them. Caffe's automatic split blobs are not made. Data layer tops not given in
 * `inputs` (labels) and the tops of losses, Accuracy and Silence get no value.
 */
export function referenceForward(net: NetParameter, opts: ReferenceForwardOptions): Map<string, Tensor> {
  const inputShapes: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(opts.inputs)) inputShapes[k] = t.shape;
  const shapes = opts.shapes ?? inferShapes(net, { inputShapes });
  const params = new Map<string, LayerParameter>();
  for (const l of net.layer ?? []) if (l.name !== undefined && !params.has(l.name)) params.set(l.name, l);
  const blobs = new Map<string, Tensor>();
  for (const [k, t] of Object.entries(opts.inputs)) blobs.set(k, t);
  for (const ls of shapes.layers) {
    const param = params.get(ls.name) ?? { name: ls.name, type: ls.type };
    if (notEvaluated(ls.type)) continue;
    const bottoms = ls.bottoms.map((b) => {
      const t = blobs.get(b);
      if (t === undefined) throw new WeightsError(ls.name, undefined, `bottom '${b}' has no value (is it an input without data?)`);
      return t;
    });
    if (ls.bottoms.length === 0) {
      ls.tops.forEach((t, i) => {
        // A data layer's first top is the image; later ones (labels) only feed losses.
        if (!blobs.has(t) && (ls.type === 'Input' || i === 0)) throw new WeightsError(ls.name, undefined, `no input given for '${t}'`);
      });
      continue;
    }
    opts.beforeLayer?.(ls, param, bottoms);
    const stored = opts.weights.get(ls.name) ?? [];
    if (stored.length < ls.blobShapes.length) {
      throw new WeightsError(ls.name, stored.length, `needs ${ls.blobShapes.length} blobs, got ${stored.length}`);
    }
    const tops = runLayer(ls, param, bottoms, stored);
    ls.tops.forEach((t, i) => blobs.set(t, tops[i]));
    opts.afterLayer?.(ls, param, tops);
  }
  return blobs;
}

function alloc(shape: number[]): Tensor {
  return { shape: shape.slice(), data: new Float32Array(countOf(shape)) };
}

function map1(x: Tensor, f: (v: number) => number): Tensor {
  const out = alloc(x.shape);
  for (let i = 0; i < x.data.length; i++) out.data[i] = f(x.data[i]);
  return out;
}

function runLayer(ls: LayerShapes, p: LayerParameter, bottoms: Tensor[], w: readonly Tensor[]): Tensor[] {
  const x = bottoms[0];
  const outShape = ls.outputShapes[0];
  switch (ls.type) {
    case 'Convolution':
      return bottoms.map((b) => convolution(p, b, outShape, w));
    case 'Pooling':
      return [pooling(p, x, outShape)];
    case 'InnerProduct':
      return [innerProduct(p, x, outShape, w)];
    case 'BatchNorm':
      return [batchNorm(p, x, w)];
    case 'Scale':
    case 'Bias': {
      const isScale = ls.type === 'Scale';
      const bp = (isScale ? p.scale_param : p.bias_param) ?? {};
      const operand = bottoms.length > 1 ? bottoms[1].data : w[0].data;
      const opShape = bottoms.length > 1 ? bottoms[1].shape : w[0].shape;
      const axis = opShape.length === 0 ? 0 : canon(bp.axis ?? 1, x.shape.length);
      const outer = countOf(x.shape, 0, axis);
      const dim = countOf(opShape);
      const inner = countOf(x.shape, axis + opShape.length);
      const biasBlob = isScale && (p.scale_param?.bias_term ?? false) ? w[bottoms.length > 1 ? 0 : 1].data : undefined;
      const out = alloc(x.shape);
      for (let o = 0; o < outer; o++) {
        for (let d = 0; d < dim; d++) {
          const a = operand[d];
          const b = biasBlob ? biasBlob[d] : 0;
          const base = (o * dim + d) * inner;
          for (let i = 0; i < inner; i++) {
            out.data[base + i] = isScale ? (biasBlob ? Math.fround(x.data[base + i] * a) + b : x.data[base + i] * a) : x.data[base + i] + a;
          }
        }
      }
      return [out];
    }
    case 'ReLU': {
      const s = p.relu_param?.negative_slope ?? 0;
      return [map1(x, (v) => (v > 0 ? v : v * s))];
    }
    case 'PReLU': {
      const slopes = w[0].data;
      const shared = p.prelu_param?.channel_shared ?? false;
      const c = x.shape.length > 1 ? x.shape[1] : 1;
      const inner = countOf(x.shape, 2);
      const out = alloc(x.shape);
      for (let i = 0; i < x.data.length; i++) {
        const s = shared ? slopes[0] : slopes[Math.floor(i / inner) % c];
        const v = x.data[i];
        out.data[i] = v > 0 ? v : v * s;
      }
      return [out];
    }
    case 'ELU': {
      const alpha = p.elu_param?.alpha ?? 1;
      return [map1(x, (v) => (v > 0 ? v : alpha * (detExp(v) - 1)))];
    }
    case 'Sigmoid':
      return [map1(x, (v) => 1 / (1 + detExp(-v)))];
    case 'TanH':
      return [map1(x, detTanh)];
    case 'AbsVal':
      return [map1(x, Math.abs)];
    case 'Power': {
      const pp = p.power_param ?? {};
      const power = pp.power ?? 1;
      const scale = pp.scale ?? 1;
      const shift = pp.shift ?? 0;
      return [map1(x, (v) => {
        const b = shift + scale * v;
        return power === 1 ? b : power === 2 ? b * b : Math.pow(b, power);
      })];
    }
    case 'Dropout':
      // TEST phase: Caffe's inverted dropout passes values through unchanged.
      return [map1(x, (v) => v)];
    case 'Eltwise':
      return [eltwise(p, bottoms)];
    case 'Axpy': {
      const [a, X, Y] = bottoms;
      const out = alloc(X.shape);
      const spatial = countOf(X.shape, 2);
      for (let i = 0; i < X.data.length; i++) out.data[i] = a.data[Math.floor(i / spatial)] * X.data[i] + Y.data[i];
      return [out];
    }
    case 'Concat':
      return [concat(p, bottoms, outShape)];
    case 'Slice':
      return slice(p, x, ls.outputShapes);
    case 'Split':
      return ls.outputShapes.map(() => ({ shape: x.shape.slice(), data: x.data.slice() }));
    case 'Reshape':
    case 'Flatten':
      return [{ shape: outShape.slice(), data: x.data.slice() }];
    case 'Softmax':
      return [softmax(canon(p.softmax_param?.axis ?? 1, x.shape.length), x)];
    case 'LRN':
      return [lrn(p, x)];
    default:
      throw new UnsupportedLayerError(ls.name, ls.type, 'is not supported by the reference forward pass');
  }
}

function canon(axis: number, n: number): number {
  return axis < 0 ? axis + n : axis;
}

function convolution(p: LayerParameter, x: Tensor, outShape: number[], w: readonly Tensor[]): Tensor {
  const g = convGeometry(p, x.shape);
  if (g.channelAxis !== 1 || x.shape.length !== 4) throw new UnsupportedLayerError(p.name ?? '', 'Convolution', 'is supported here only on 4-D NCHW blobs');
  const [N, C, H, W] = x.shape;
  const [, O, OH, OW] = outShape;
  const [KH, KW] = g.kernel;
  const [SH, SW] = g.stride;
  const [PH, PW] = g.pad;
  const [DH, DW] = g.dilation;
  const cg = C / g.group;
  const og = O / g.group;
  const weights = w[0].data;
  const bias = g.biasTerm ? w[1].data : undefined;
  const out = alloc(outShape);
  const acc = new Float64Array(OH * OW);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / og);
      acc.fill(bias ? bias[o] : 0);
      for (let ci = 0; ci < cg; ci++) {
        const c = grp * cg + ci;
        const xBase = (n * C + c) * H * W;
        for (let ky = 0; ky < KH; ky++) {
          for (let kx = 0; kx < KW; kx++) {
            const wv = weights[((o * cg + ci) * KH + ky) * KW + kx];
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy * SH - PH + ky * DH;
              if (iy < 0 || iy >= H) continue;
              const row = xBase + iy * W;
              const aRow = oy * OW;
              for (let ox = 0; ox < OW; ox++) {
                const ix = ox * SW - PW + kx * DW;
                if (ix >= 0 && ix < W) acc[aRow + ox] += wv * x.data[row + ix];
              }
            }
          }
        }
      }
      out.data.set(acc, (n * O + o) * OH * OW);
    }
  }
  return out;
}

function pooling(p: LayerParameter, x: Tensor, outShape: number[]): Tensor {
  const g = poolGeometry(p, x.shape);
  const pool = p.pooling_param?.pool ?? 'MAX';
  if (pool !== 'MAX' && pool !== 'AVE') throw new UnsupportedLayerError(p.name ?? '', 'Pooling', `pool ${pool} is not supported by the reference forward pass`);
  const [N, C, H, W] = x.shape;
  const [, , OH, OW] = outShape;
  const [KH, KW] = g.kernel;
  const [SH, SW] = g.stride;
  const [PH, PW] = g.pad;
  const out = alloc(outShape);
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
          v = -3.4028234663852886e38;
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
  return out;
}

function innerProduct(p: LayerParameter, x: Tensor, outShape: number[], w: readonly Tensor[]): Tensor {
  const ip = p.inner_product_param ?? {};
  const axis = canon(ip.axis ?? 1, x.shape.length);
  const M = countOf(x.shape, 0, axis);
  const K = countOf(x.shape, axis);
  const N = ip.num_output ?? 0;
  const transpose = ip.transpose ?? false;
  const weights = w[0].data;
  const bias = (ip.bias_term ?? true) ? w[1].data : undefined;
  const out = alloc(outShape);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) s += x.data[m * K + k] * (transpose ? weights[k * N + n] : weights[n * K + k]);
      out.data[m * N + n] = s;
    }
  }
  return out;
}

function batchNorm(p: LayerParameter, x: Tensor, w: readonly Tensor[]): Tensor {
  const bp = p.batch_norm_param ?? {};
  const eps = bp.eps ?? 1e-5;
  const C = x.shape.length > 1 ? x.shape[1] : 1;
  const outer = x.shape[0];
  const inner = countOf(x.shape, 2);
  const useGlobal = bp.use_global_stats ?? true;
  const mean = new Float32Array(C);
  const variance = new Float32Array(C);
  if (useGlobal) {
    const f = w[2].data[0];
    const sf = f === 0 ? 0 : 1 / f;
    for (let c = 0; c < C; c++) {
      mean[c] = Math.fround(sf * w[0].data[c]);
      variance[c] = Math.fround(sf * w[1].data[c]);
    }
  } else {
    for (let c = 0; c < C; c++) {
      let s = 0;
      let ss = 0;
      for (let n = 0; n < outer; n++) {
        for (let i = 0; i < inner; i++) {
          const v = x.data[(n * C + c) * inner + i];
          s += v;
          ss += v * v;
        }
      }
      const m = s / (outer * inner);
      mean[c] = m;
      variance[c] = ss / (outer * inner) - m * m;
    }
  }
  const out = alloc(x.shape);
  for (let n = 0; n < outer; n++) {
    for (let c = 0; c < C; c++) {
      const std = Math.fround(Math.sqrt(Math.fround(variance[c] + eps)));
      const base = (n * C + c) * inner;
      for (let i = 0; i < inner; i++) out.data[base + i] = Math.fround(x.data[base + i] - mean[c]) / std;
    }
  }
  return out;
}

function eltwise(p: LayerParameter, bottoms: Tensor[]): Tensor {
  const ep = p.eltwise_param ?? {};
  const op = ep.operation ?? 'SUM';
  const coeff = ep.coeff ?? [];
  const out = alloc(bottoms[0].shape);
  const n = out.data.length;
  for (let i = 0; i < n; i++) {
    let v: number;
    if (op === 'PROD') {
      v = bottoms[0].data[i];
      for (let b = 1; b < bottoms.length; b++) v = Math.fround(v * bottoms[b].data[i]);
    } else if (op === 'MAX') {
      v = bottoms[0].data[i];
      for (let b = 1; b < bottoms.length; b++) v = Math.max(v, bottoms[b].data[i]);
    } else {
      v = 0;
      for (let b = 0; b < bottoms.length; b++) v += (coeff.length > 0 ? coeff[b] : 1) * bottoms[b].data[i];
    }
    out.data[i] = v;
  }
  return out;
}

function concatAxis(p: LayerParameter, n: number): number {
  const cp = p.concat_param ?? {};
  return canon(cp.axis ?? cp.concat_dim ?? 1, n);
}

function concat(p: LayerParameter, bottoms: Tensor[], outShape: number[]): Tensor {
  const axis = concatAxis(p, outShape.length);
  const outer = countOf(outShape, 0, axis);
  const inner = countOf(outShape, axis + 1);
  const out = alloc(outShape);
  let offset = 0;
  for (const b of bottoms) {
    const len = b.shape[axis] * inner;
    for (let o = 0; o < outer; o++) out.data.set(b.data.subarray(o * len, (o + 1) * len), o * outShape[axis] * inner + offset);
    offset += len;
  }
  return out;
}

function slice(p: LayerParameter, x: Tensor, outShapes: number[][]): Tensor[] {
  const sp = p.slice_param ?? {};
  const axis = canon(sp.axis ?? sp.slice_dim ?? 1, x.shape.length);
  const outer = countOf(x.shape, 0, axis);
  const inner = countOf(x.shape, axis + 1);
  let offset = 0;
  return outShapes.map((s) => {
    const out = alloc(s);
    const len = s[axis] * inner;
    for (let o = 0; o < outer; o++) out.data.set(x.data.subarray(o * x.shape[axis] * inner + offset, o * x.shape[axis] * inner + offset + len), o * len);
    offset += len;
    return out;
  });
}

function softmax(axis: number, x: Tensor): Tensor {
  const outer = countOf(x.shape, 0, axis);
  const dim = x.shape[axis];
  const inner = countOf(x.shape, axis + 1);
  const out = alloc(x.shape);
  const e = new Float64Array(dim);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (d: number): number => (o * dim + d) * inner + i;
      let mx = -Infinity;
      for (let d = 0; d < dim; d++) mx = Math.max(mx, x.data[at(d)]);
      let s = 0;
      for (let d = 0; d < dim; d++) {
        e[d] = detExp(x.data[at(d)] - mx);
        s += e[d];
      }
      for (let d = 0; d < dim; d++) out.data[at(d)] = e[d] / s;
    }
  }
  return out;
}

function lrn(p: LayerParameter, x: Tensor): Tensor {
  const lp = p.lrn_param ?? {};
  const size = lp.local_size ?? 5;
  const alpha = lp.alpha ?? 1;
  const beta = lp.beta ?? 0.75;
  const k = lp.k ?? 1;
  if (x.shape.length !== 4) throw new UnsupportedLayerError(p.name ?? '', 'LRN', 'is supported here only on 4-D NCHW blobs');
  const [N, C, H, W] = x.shape;
  const hw = H * W;
  const pre = (size - 1) / 2;
  const out = alloc(x.shape);
  if ((lp.norm_region ?? 'ACROSS_CHANNELS') === 'ACROSS_CHANNELS') {
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < hw; i++) {
          let s = 0;
          for (let j = Math.max(0, c - pre); j <= Math.min(C - 1, c + pre); j++) {
            const v = x.data[(n * C + j) * hw + i];
            s += v * v;
          }
          const scale = k + (alpha / size) * s;
          out.data[(n * C + c) * hw + i] = x.data[(n * C + c) * hw + i] * Math.pow(scale, -beta);
        }
      }
    }
    return out;
  }
  // WITHIN_CHANNEL: Caffe builds it from AVE pooling of x^2 (pad (size-1)/2, stride 1, so every
  // window counts size^2 cells, zeros outside) and Power(shift 1, scale alpha); k is not used.
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * hw;
    for (let y = 0; y < H; y++) {
      for (let xx = 0; xx < W; xx++) {
        let s = 0;
        for (let u = Math.max(0, y - pre); u <= Math.min(H - 1, y + pre); u++) {
          for (let v = Math.max(0, xx - pre); v <= Math.min(W - 1, xx + pre); v++) {
            const e = x.data[base + u * W + v];
            s += e * e;
          }
        }
        const scale = 1 + (alpha * s) / (size * size);
        out.data[base + y * W + xx] = x.data[base + y * W + xx] * Math.pow(scale, -beta);
      }
    }
  }
  return out;
}
