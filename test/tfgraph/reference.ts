/** Straightforward reference implementations (NHWC, HWIO) the graph results are checked against. */

export interface Arr {
  data: Float32Array;
  shape: number[];
}

/** Deterministic pseudo-random values in [-1, 1). */
export function randomArray(shape: number[], seed: number): Arr {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { data, shape };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Grouped 2-D convolution, x NHWC, w HWIO [kh, kw, C/G, O]; pads [t, b, l, r]. */
export function refConv(
  x: Arr,
  w: Arr,
  o: { strides?: [number, number]; pads?: [number, number, number, number]; dilations?: [number, number]; groups?: number } = {},
): Arr {
  const [N, H, W, C] = x.shape;
  const [kh, kw, cg, O] = w.shape;
  const [sh, sw] = o.strides ?? [1, 1];
  const [pt, pb, pl, pr] = o.pads ?? [0, 0, 0, 0];
  const [dh, dw] = o.dilations ?? [1, 1];
  const G = o.groups ?? 1;
  if (cg * G !== C) throw new Error('channels');
  const og = O / G;
  const Ho = Math.floor((H + pt + pb - ((kh - 1) * dh + 1)) / sh) + 1;
  const Wo = Math.floor((W + pl + pr - ((kw - 1) * dw + 1)) / sw) + 1;
  const out = new Float32Array(N * Ho * Wo * O);
  for (let n = 0; n < N; n++)
    for (let y = 0; y < Ho; y++)
      for (let xo = 0; xo < Wo; xo++)
        for (let oc = 0; oc < O; oc++) {
          const g = Math.floor(oc / og);
          let acc = 0;
          for (let i = 0; i < kh; i++) {
            const iy = y * sh - pt + i * dh;
            if (iy < 0 || iy >= H) continue;
            for (let j = 0; j < kw; j++) {
              const ix = xo * sw - pl + j * dw;
              if (ix < 0 || ix >= W) continue;
              for (let c = 0; c < cg; c++) {
                acc += x.data[((n * H + iy) * W + ix) * C + g * cg + c] * w.data[((i * kw + j) * cg + c) * O + oc];
              }
            }
          }
          out[((n * Ho + y) * Wo + xo) * O + oc] = acc;
        }
  return { data: out, shape: [N, Ho, Wo, O] };
}

/** Depthwise convolution, w [kh, kw, C, M], output channel c*M + m. */
export function refDepthwise(x: Arr, w: Arr, o: { strides?: [number, number]; pads?: [number, number, number, number] } = {}): Arr {
  const [N, H, W, C] = x.shape;
  const [kh, kw, , M] = w.shape;
  // A depthwise conv is a grouped conv with G = C and one input channel per group.
  const hwio = new Float32Array(kh * kw * C * M);
  for (let p = 0; p < kh * kw; p++) for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) hwio[p * C * M + c * M + m] = w.data[(p * C + c) * M + m];
  return refConv({ data: x.data, shape: [N, H, W, C] }, { data: hwio, shape: [kh, kw, 1, C * M] }, { ...o, groups: C });
}

/** Pooling with explicit pads; max pads with -inf, avg counts padded zeros (kernel-area divisor). */
export function refPool(x: Arr, kind: 'max' | 'avg', k: [number, number], s: [number, number], pads: [number, number, number, number]): Arr {
  const [N, H, W, C] = x.shape;
  const [pt, pb, pl, pr] = pads;
  const Ho = Math.floor((H + pt + pb - k[0]) / s[0]) + 1;
  const Wo = Math.floor((W + pl + pr - k[1]) / s[1]) + 1;
  const out = new Float32Array(N * Ho * Wo * C);
  for (let n = 0; n < N; n++)
    for (let y = 0; y < Ho; y++)
      for (let xo = 0; xo < Wo; xo++)
        for (let c = 0; c < C; c++) {
          let acc = kind === 'max' ? -Infinity : 0;
          for (let i = 0; i < k[0]; i++)
            for (let j = 0; j < k[1]; j++) {
              const iy = y * s[0] - pt + i;
              const ix = xo * s[1] - pl + j;
              const v = iy < 0 || iy >= H || ix < 0 || ix >= W ? (kind === 'max' ? -Infinity : 0) : x.data[((n * H + iy) * W + ix) * C + c];
              acc = kind === 'max' ? Math.max(acc, v) : acc + v;
            }
          out[((n * Ho + y) * Wo + xo) * C + c] = kind === 'max' ? acc : acc / (k[0] * k[1]);
        }
  return { data: out, shape: [N, Ho, Wo, C] };
}

export function refMatMul(a: Arr, b: Arr): Arr {
  const [m, k] = a.shape;
  const n = b.shape[1];
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let t = 0; t < k; t++) acc += a.data[i * k + t] * b.data[t * n + j];
    out[i * n + j] = acc;
  }
  return { data: out, shape: [m, n] };
}

export function refSoftmax(x: Arr): Arr {
  const c = x.shape[x.shape.length - 1];
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < x.data.length / c; r++) {
    let mx = -Infinity;
    for (let i = 0; i < c; i++) mx = Math.max(mx, x.data[r * c + i]);
    let s = 0;
    for (let i = 0; i < c; i++) s += Math.exp(x.data[r * c + i] - mx);
    for (let i = 0; i < c; i++) out[r * c + i] = Math.exp(x.data[r * c + i] - mx) / s;
  }
  return { data: out, shape: [...x.shape] };
}

/** NHWC <-> NCHW helpers. */
export function nhwcToNchw(x: Arr): Arr {
  const [N, H, W, C] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
    out[((n * C + c) * H + h) * W + w] = x.data[((n * H + h) * W + w) * C + c];
  }
  return { data: out, shape: [N, C, H, W] };
}

/**
 * A grouped HWIO filter [kh, kw, C/G, O] (output o in group floor(o / (O/G))) packed as the
 * depthwise filter GraphBuilder.groupedConv2dPacked takes: [kh, kw, C, O/G], channel g*(C/G) + i,
 * multiplier m carrying group g's W[.., i, m].
 */
export function packGroupedFilter(w: Arr, groups: number): Arr {
  const [kh, kw, cg, o] = w.shape;
  const og = o / groups;
  const C = cg * groups;
  const out = new Float32Array(kh * kw * C * og);
  for (let p = 0; p < kh * kw; p++) {
    for (let g = 0; g < groups; g++) {
      for (let i = 0; i < cg; i++) {
        for (let m = 0; m < og; m++) out[(p * C + g * cg + i) * og + m] = w.data[(p * cg + i) * o + g * og + m];
      }
    }
  }
  return { data: out, shape: [kh, kw, C, og] };
}
