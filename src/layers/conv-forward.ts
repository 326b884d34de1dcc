/**
 * The reference convolution kernel: im2col and a blocked GEMM on Float64Array, per image and
 * group. Each output value is the bias plus the products w[o, k] * x[k, p] added one by one in k
 * order (k = (ci, ky, kx)), in float64: the same sum, in the same order, as a direct loop, so the
 * float32 mode's stored values (and the calibrated fixture weights that depend on them) do not
 * depend on the blocking. A padded position adds w * 0 where a direct loop adds nothing; that
 * changes at most the sign of a zero.
 */
import type { ConvGeometry } from './conv-geometry';
import type { Values } from './reference-api';

/** Output columns per GEMM tile: the tile's accumulators (4 rows) stay in L1, its im2col rows in L2. */
function columnBlock(K: number): number {
  return Math.max(32, Math.min(512, Math.floor(16384 / Math.max(1, K)) * 8));
}

/**
 * acc[r * P + p] += sum over k (in order) of w[wOff + r * K + k] * col[k * P + p], for r < rows.
 * Four rows share each loaded column value.
 */
function gemmAccumulate(w: Float64Array, wOff: number, rows: number, K: number, col: Float64Array, P: number, acc: Float64Array): void {
  const PB = columnBlock(K);
  for (let p0 = 0; p0 < P; p0 += PB) {
    const p1 = Math.min(P, p0 + PB);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const a0 = r * P;
      const a1 = a0 + P;
      const a2 = a1 + P;
      const a3 = a2 + P;
      const w0 = wOff + r * K;
      const w1 = w0 + K;
      const w2 = w1 + K;
      const w3 = w2 + K;
      for (let k = 0; k < K; k++) {
        const v0 = w[w0 + k];
        const v1 = w[w1 + k];
        const v2 = w[w2 + k];
        const v3 = w[w3 + k];
        const c = k * P;
        for (let p = p0; p < p1; p++) {
          const x = col[c + p];
          acc[a0 + p] += v0 * x;
          acc[a1 + p] += v1 * x;
          acc[a2 + p] += v2 * x;
          acc[a3 + p] += v3 * x;
        }
      }
    }
    for (; r < rows; r++) {
      const a0 = r * P;
      const w0 = wOff + r * K;
      for (let k = 0; k < K; k++) {
        const v0 = w[w0 + k];
        const c = k * P;
        for (let p = p0; p < p1; p++) acc[a0 + p] += v0 * col[c + p];
      }
    }
  }
}

/**
 * col[k, p] for one image's channels [c0, c0 + cg): k = (ci * KH + ky) * KW + kx, p = oy * OW + ox;
 * zero where the window is in the padding.
 */
function im2col(x: Values, xOff: number, cg: number, H: number, W: number, g: ConvGeometry, OH: number, OW: number, col: Float64Array): void {
  const [KH, KW] = g.kernel;
  const [SH, SW] = g.stride;
  const [PH, PW] = g.pad;
  const [DH, DW] = g.dilation;
  const P = OH * OW;
  let k = 0;
  for (let ci = 0; ci < cg; ci++) {
    const xc = xOff + ci * H * W;
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++, k++) {
        const row = k * P;
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * SH - PH + ky * DH;
          const dst = row + oy * OW;
          if (iy < 0 || iy >= H) {
            col.fill(0, dst, dst + OW);
            continue;
          }
          const src = xc + iy * W;
          for (let ox = 0; ox < OW; ox++) {
            const ix = ox * SW - PW + kx * DW;
            col[dst + ox] = ix >= 0 && ix < W ? x[src + ix] : 0;
          }
        }
      }
    }
  }
}

/**
 * A 2-D NCHW convolution of x [N, C, H, W] into out [N, O, OH, OW] (out's storage rounds, as the
 * numeric mode says). weights [O, C / group, KH, KW], bias [O] or undefined.
 */
export function convolve2d(
  x: Values, xShape: readonly number[], weights: Values, bias: Values | undefined, g: ConvGeometry, out: Values, outShape: readonly number[],
): void {
  const [N, C, H, W] = xShape;
  const [, O, OH, OW] = outShape;
  const cg = C / g.group;
  const og = O / g.group;
  const K = cg * g.kernel[0] * g.kernel[1];
  const P = OH * OW;
  const w = Float64Array.from(weights);
  const col = new Float64Array(K * P);
  const acc = new Float64Array(og * P);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < g.group; grp++) {
      im2col(x, (n * C + grp * cg) * H * W, cg, H, W, g, OH, OW, col);
      for (let r = 0; r < og; r++) acc.fill(bias ? bias[grp * og + r] : 0, r * P, (r + 1) * P);
      gemmAccumulate(w, grp * og * K, og, K, col, P, acc);
      out.set(acc, (n * O + grp * og) * P);
    }
  }
}
