/**
 * A straightforward NCHW reference of Caffe's TEST-phase forward pass, written from Caffe's layer
 * definitions (loops, float64 accumulation), independent of the converter. It proves the
 * converted graphs compute what Caffe computes. Blobs are overwritten by in-place layers, so the
 * returned map holds each blob's value after its last writer, as in a Caffe blob dump.
 */
import type { LayerParameter, NetParameter } from '../../src/schema';

export interface Arr {
  data: Float32Array;
  shape: number[];
}

const count = (s: readonly number[], a = 0, b = s.length): number => s.slice(a, b).reduce((p, q) => p * q, 1);

/** Deterministic uniform values in [lo, hi). */
export function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

function axisOf(a: number | undefined, dflt: number, rank: number): number {
  const v = a ?? dflt;
  return v < 0 ? v + rank : v;
}

function conv(l: LayerParameter, x: Arr, w: Arr, b: Arr | undefined): Arr {
  const p = l.convolution_param ?? {};
  const [N, C, H, W] = x.shape;
  const kh = p.kernel_h ?? p.kernel_size![0];
  const kw = p.kernel_w ?? p.kernel_size![p.kernel_size!.length - 1];
  const sh = p.stride_h ?? p.stride?.[0] ?? 1;
  const sw = p.stride_w ?? p.stride?.[p.stride.length - 1] ?? 1;
  const ph = p.pad_h ?? p.pad?.[0] ?? 0;
  const pw = p.pad_w ?? p.pad?.[p.pad.length - 1] ?? 0;
  const dh = p.dilation?.[0] ?? 1;
  const dw = p.dilation?.[p.dilation.length - 1] ?? 1;
  const G = p.group ?? 1;
  const O = p.num_output!;
  const OH = Math.floor((H + 2 * ph - (dh * (kh - 1) + 1)) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - (dw * (kw - 1) + 1)) / sw) + 1;
  const cg = C / G;
  const og = O / G;
  const out = new Float32Array(N * O * OH * OW);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / og);
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let s = b ? b.data[o] : 0;
          for (let c = 0; c < cg; c++)
            for (let u = 0; u < kh; u++) {
              const y = i * sh - ph + u * dh;
              if (y < 0 || y >= H) continue;
              for (let v = 0; v < kw; v++) {
                const xx = j * sw - pw + v * dw;
                if (xx < 0 || xx >= W) continue;
                s += x.data[((n * C + g * cg + c) * H + y) * W + xx] * w.data[((o * cg + c) * kh + u) * kw + v];
              }
            }
          out[((n * O + o) * OH + i) * OW + j] = s;
        }
    }
  return { data: out, shape: [N, O, OH, OW] };
}

function pool(l: LayerParameter, x: Arr): Arr {
  const p = l.pooling_param ?? {};
  const [N, C, H, W] = x.shape;
  const global = p.global_pooling ?? false;
  const kh = global ? H : p.kernel_h ?? p.kernel_size!;
  const kw = global ? W : p.kernel_w ?? p.kernel_size!;
  const sh = p.stride_h ?? p.stride ?? 1;
  const sw = p.stride_w ?? p.stride ?? 1;
  const ph = p.pad_h ?? p.pad ?? 0;
  const pw = p.pad_w ?? p.pad ?? 0;
  const round = (p.round_mode ?? 'CEIL') === 'CEIL' ? Math.ceil : Math.floor;
  let OH = round((H + 2 * ph - kh) / sh) + 1;
  let OW = round((W + 2 * pw - kw) / sw) + 1;
  if (ph > 0 || pw > 0) {
    if ((OH - 1) * sh >= H + ph) OH--;
    if ((OW - 1) * sw >= W + pw) OW--;
  }
  const max = (p.pool ?? 'MAX') === 'MAX';
  const out = new Float32Array(N * C * OH * OW);
  for (let nc = 0; nc < N * C; nc++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++) {
        let hs = i * sh - ph;
        let ws = j * sw - pw;
        let he = Math.min(hs + kh, H + ph);
        let we = Math.min(ws + kw, W + pw);
        const size = (he - hs) * (we - ws);
        hs = Math.max(hs, 0);
        ws = Math.max(ws, 0);
        he = Math.min(he, H);
        we = Math.min(we, W);
        let acc = max ? -Infinity : 0;
        for (let y = hs; y < he; y++)
          for (let xx = ws; xx < we; xx++) {
            const v = x.data[(nc * H + y) * W + xx];
            acc = max ? Math.max(acc, v) : acc + v;
          }
        out[(nc * OH + i) * OW + j] = max ? acc : acc / size;
      }
  return { data: out, shape: [N, C, OH, OW] };
}

function innerProduct(l: LayerParameter, x: Arr, w: Arr, b: Arr | undefined): Arr {
  const p = l.inner_product_param ?? {};
  const axis = axisOf(p.axis, 1, x.shape.length);
  const M = count(x.shape, 0, axis);
  const K = count(x.shape, axis);
  const Nout = p.num_output!;
  const t = p.transpose ?? false;
  const out = new Float32Array(M * Nout);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < Nout; n++) {
      let s = b ? b.data[n] : 0;
      for (let k = 0; k < K; k++) s += x.data[m * K + k] * (t ? w.data[k * Nout + n] : w.data[n * K + k]);
      out[m * Nout + n] = s;
    }
  return { data: out, shape: [...x.shape.slice(0, axis), Nout] };
}

/** Applies f(value, channelIndex) elementwise with Caffe's channel = axis `axis`, extent `dims`. */
function perIndex(x: Arr, axis: number, numAxes: number, f: (v: number, k: number) => number): Arr {
  const outer = count(x.shape, 0, axis);
  const mid = count(x.shape, axis, axis + numAxes);
  const inner = count(x.shape, axis + numAxes);
  const out = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let k = 0; k < mid; k++)
      for (let i = 0; i < inner; i++) {
        const idx = (o * mid + k) * inner + i;
        out[idx] = f(x.data[idx], k);
      }
  return { data: out, shape: x.shape.slice() };
}

function map(x: Arr, f: (v: number) => number): Arr {
  return { data: x.data.map(f), shape: x.shape.slice() };
}

function softmax(l: LayerParameter, x: Arr): Arr {
  const axis = axisOf(l.softmax_param?.axis, 1, x.shape.length);
  const outer = count(x.shape, 0, axis);
  const C = x.shape[axis];
  const inner = count(x.shape, axis + 1);
  const out = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, x.data[(o * C + c) * inner + i]);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(x.data[(o * C + c) * inner + i] - m);
      for (let c = 0; c < C; c++) out[(o * C + c) * inner + i] = Math.exp(x.data[(o * C + c) * inner + i] - m) / s;
    }
  return { data: out, shape: x.shape.slice() };
}

function lrn(l: LayerParameter, x: Arr): Arr {
  const p = l.lrn_param ?? {};
  const n = p.local_size ?? 5;
  const alpha = p.alpha ?? 1;
  const beta = p.beta ?? 0.75;
  const k = p.k ?? 1;
  const [N, C, H, W] = x.shape;
  const r = (n - 1) / 2;
  const out = new Float32Array(x.data.length);
  const at = (a: number, c: number, y: number, z: number): number => x.data[((a * C + c) * H + y) * W + z];
  for (let a = 0; a < N; a++)
    for (let c = 0; c < C; c++)
      for (let y = 0; y < H; y++)
        for (let z = 0; z < W; z++) {
          let s = 0;
          let scale: number;
          if ((p.norm_region ?? 'ACROSS_CHANNELS') === 'ACROSS_CHANNELS') {
            for (let d = Math.max(0, c - r); d <= Math.min(C - 1, c + r); d++) s += at(a, d, y, z) ** 2;
            scale = k + (alpha / n) * s;
          } else {
            for (let u = y - r; u <= y + r; u++)
              for (let v = z - r; v <= z + r; v++) if (u >= 0 && u < H && v >= 0 && v < W) s += at(a, c, u, v) ** 2;
            scale = 1 + (alpha * s) / (n * n);
          }
          out[((a * C + c) * H + y) * W + z] = at(a, c, y, z) * scale ** -beta;
        }
  return { data: out, shape: x.shape.slice() };
}

/** Scale/Bias operand broadcasting: bottom [outer, mid, inner] with the operand on mid. */
function broadcastOp(x: Arr, op: Arr, axisParam: number | undefined, f: (v: number, o: number) => number, bias?: Float32Array): Arr {
  const rank = x.shape.length;
  const axis = op.shape.length === 0 ? 0 : axisOf(axisParam, 1, rank);
  const outer = count(x.shape, 0, axis);
  const mid = count(op.shape);
  const inner = count(x.shape, axis + op.shape.length);
  const out = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let k = 0; k < mid; k++)
      for (let i = 0; i < inner; i++) {
        const idx = (o * mid + k) * inner + i;
        out[idx] = f(x.data[idx], op.data[k]) + (bias ? bias[k] : 0);
      }
  return { data: out, shape: x.shape.slice() };
}

/** Blob shapes Caffe would compute for Reshape. */
function reshapeShape(l: LayerParameter, s: number[]): number[] {
  const p = l.reshape_param ?? {};
  const dims = (p.shape?.dim ?? []).map(Number);
  const axis = p.axis ?? 0;
  const start = axis >= 0 ? axis : s.length + axis + 1;
  const end = (p.num_axes ?? -1) === -1 ? s.length : start + p.num_axes!;
  const mid = dims.map((d, i) => (d === 0 ? s[start + i] : d));
  const out = [...s.slice(0, start), ...mid, ...s.slice(end)];
  const inf = out.indexOf(-1, start);
  if (inf >= 0) out[inf] = count(s) / -count(out);
  return out;
}

export type Weights = Map<string, Arr[]>;

const SKIP = new Set(['Data', 'ImageData', 'HDF5Data', 'MemoryData', 'Accuracy', 'Silence']);

/** Runs the net on `input` (fed to the first Input layer's top or `inputBlob`). */
export function referenceForward(net: NetParameter, weights: Weights, input: Arr, inputBlob?: string): Map<string, Arr> {
  const blobs = new Map<string, Arr>();
  for (const l of net.layer ?? []) {
    const type = l.type!;
    if (l.include?.some((r) => r.phase === 'TRAIN') || l.exclude?.some((r) => r.phase === 'TEST')) continue;
    if (type === 'Input' || (SKIP.has(type) && type.endsWith('Data'))) {
      blobs.set(inputBlob ?? l.top![0], input);
      continue;
    }
    if (SKIP.has(type) || type.endsWith('Loss')) continue;
    const xs = (l.bottom ?? []).map((b) => {
      const v = blobs.get(b);
      if (!v) throw new Error(`reference: no blob ${b}`);
      return v;
    });
    const w = weights.get(l.name!) ?? [];
    const x = xs[0];
    let outs: Arr[];
    switch (type) {
      case 'Convolution':
        outs = [conv(l, x, w[0], (l.convolution_param?.bias_term ?? true) ? w[1] : undefined)];
        break;
      case 'Pooling':
        outs = [pool(l, x)];
        break;
      case 'InnerProduct':
        outs = [innerProduct(l, x, w[0], (l.inner_product_param?.bias_term ?? true) ? w[1] : undefined)];
        break;
      case 'BatchNorm': {
        const sf = w[2].data[0];
        const f = sf === 0 ? 0 : 1 / sf;
        const eps = l.batch_norm_param?.eps ?? 1e-5;
        outs = [perIndex(x, 1, 1, (v, c) => (v - w[0].data[c] * f) / Math.sqrt(w[1].data[c] * f + eps))];
        break;
      }
      case 'Scale': {
        const p = l.scale_param ?? {};
        const op = xs.length > 1 ? xs[1] : w[0];
        const bias = (p.bias_term ?? false) ? w[xs.length > 1 ? 0 : 1].data : undefined;
        outs = [broadcastOp(x, op, p.axis, (v, s) => v * s, bias)];
        break;
      }
      case 'Bias':
        outs = [broadcastOp(x, xs.length > 1 ? xs[1] : w[0], l.bias_param?.axis, (v, b) => v + b)];
        break;
      case 'Axpy': {
        const [a, X, Y] = xs;
        const C = X.shape[1];
        const inner = count(X.shape, 2);
        const out = new Float32Array(X.data.length);
        for (let i = 0; i < out.length; i++) out[i] = a.data[Math.floor(i / inner) % C + Math.floor(i / (inner * C)) * C] * X.data[i] + Y.data[i];
        outs = [{ data: out, shape: X.shape.slice() }];
        break;
      }
      case 'Eltwise': {
        const p = l.eltwise_param ?? {};
        const op = p.operation ?? 'SUM';
        const out = new Float32Array(x.data.length);
        for (let i = 0; i < out.length; i++) {
          let acc = op === 'SUM' ? 0 : op === 'PROD' ? 1 : -Infinity;
          xs.forEach((b, j) => {
            const v = b.data[i];
            acc = op === 'SUM' ? acc + (p.coeff?.[j] ?? 1) * v : op === 'PROD' ? acc * v : Math.max(acc, v);
          });
          out[i] = acc;
        }
        outs = [{ data: out, shape: x.shape.slice() }];
        break;
      }
      case 'Concat': {
        const axis = l.concat_param?.concat_dim ?? axisOf(l.concat_param?.axis, 1, x.shape.length);
        const outer = count(x.shape, 0, axis);
        const inner = count(x.shape, axis + 1);
        const total = xs.reduce((s, b) => s + b.shape[axis], 0);
        const out = new Float32Array(outer * total * inner);
        let off = 0;
        for (const b of xs) {
          const d = b.shape[axis];
          for (let o = 0; o < outer; o++) out.set(b.data.subarray(o * d * inner, (o + 1) * d * inner), (o * total + off) * inner);
          off += d;
        }
        const shape = x.shape.slice();
        shape[axis] = total;
        outs = [{ data: out, shape }];
        break;
      }
      case 'Slice': {
        const p = l.slice_param ?? {};
        const axis = p.slice_dim ?? axisOf(p.axis, 1, x.shape.length);
        const D = x.shape[axis];
        const nt = l.top!.length;
        const pts = p.slice_point?.length ? [0, ...p.slice_point, D] : Array.from({ length: nt + 1 }, (_, i) => (i * D) / nt);
        const outer = count(x.shape, 0, axis);
        const inner = count(x.shape, axis + 1);
        outs = pts.slice(1).map((e, t) => {
          const s = pts[t];
          const d = e - s;
          const out = new Float32Array(outer * d * inner);
          for (let o = 0; o < outer; o++) out.set(x.data.subarray((o * D + s) * inner, (o * D + e) * inner), o * d * inner);
          const shape = x.shape.slice();
          shape[axis] = d;
          return { data: out, shape };
        });
        break;
      }
      case 'Split':
        outs = l.top!.map(() => x);
        break;
      case 'Reshape':
        outs = [{ data: x.data, shape: reshapeShape(l, x.shape) }];
        break;
      case 'Flatten': {
        const a = axisOf(l.flatten_param?.axis, 1, x.shape.length);
        const e = axisOf(l.flatten_param?.end_axis, -1, x.shape.length);
        outs = [{ data: x.data, shape: [...x.shape.slice(0, a), count(x.shape, a, e + 1), ...x.shape.slice(e + 1)] }];
        break;
      }
      case 'Softmax':
        outs = [softmax(l, x)];
        break;
      case 'ReLU': {
        const s = l.relu_param?.negative_slope ?? 0;
        outs = [map(x, (v) => (v > 0 ? v : v * s))];
        break;
      }
      case 'PReLU': {
        const a = w[0].data;
        const shared = l.prelu_param?.channel_shared ?? false;
        outs = [perIndex(x, 1, 1, (v, c) => (v > 0 ? v : v * a[shared ? 0 : c]))];
        break;
      }
      case 'ELU': {
        const al = l.elu_param?.alpha ?? 1;
        outs = [map(x, (v) => (v > 0 ? v : al * (Math.exp(v) - 1)))];
        break;
      }
      case 'Sigmoid':
        outs = [map(x, (v) => 1 / (1 + Math.exp(-v)))];
        break;
      case 'TanH':
        outs = [map(x, Math.tanh)];
        break;
      case 'AbsVal':
        outs = [map(x, Math.abs)];
        break;
      case 'Power': {
        const p = l.power_param ?? {};
        outs = [map(x, (v) => ((p.shift ?? 0) + (p.scale ?? 1) * v) ** (p.power ?? 1))];
        break;
      }
      case 'Dropout':
        outs = [x];
        break;
      case 'LRN':
        outs = [lrn(l, x)];
        break;
      default:
        throw new Error(`reference: layer type ${type} not implemented`);
    }
    l.top!.forEach((t, i) => blobs.set(t, outs[i]));
  }
  return blobs;
}
