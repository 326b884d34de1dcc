/**
 * Transcendental functions computed with IEEE basic operations only (+ - * / sqrt and exact bit
 * manipulation), so that every JavaScript engine gives the same bits (Math.log/exp are not
 * required to be correctly rounded and have changed between engine versions). The random-weight
 * generator (src/reference) and the reference kernels of the layer handlers use them: calibrated
 * weights depend on these exact values.
 */

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
// Index of the high word of a float64 in U32 (1 on little-endian hosts).
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

const LN2_HI = 6.93147180369123816490e-1; // high bits of ln 2 (exact in few bits)
const LN2_LO = 1.90821492927058770002e-10;

/** Natural log for finite x > 0 from basic operations only (relative error ~1e-16). */
export function detLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return x === 0 ? -Infinity : NaN;
  F64[0] = x;
  let e = ((U32[HI] >>> 20) & 0x7ff) - 1023;
  if (e === -1023) {
    // Subnormal: scale into the normal range first.
    F64[0] = x * 18014398509481984; // 2^54
    e = ((U32[HI] >>> 20) & 0x7ff) - 1023 - 54;
  }
  // Mantissa m in [1, 2), then moved to [sqrt(1/2), sqrt(2)).
  U32[HI] = (U32[HI] & 0x000fffff) | 0x3ff00000;
  let m = F64[0];
  if (m > Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  // log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716.
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let term = s;
  let sum = s;
  for (let k = 3; k <= 31; k += 2) {
    term *= s2;
    sum += term / k;
  }
  return e * LN2_HI + (e * LN2_LO + 2 * sum);
}

/** 2^k for integer k in the float64 range, exactly. */
function pow2(k: number): number {
  if (k > 1023) return Infinity;
  if (k < -1074) return 0;
  if (k < -1022) return pow2(k + 54) / 18014398509481984;
  U32[LO] = 0;
  U32[HI] = (k + 1023) << 20;
  return F64[0];
}

/** e^x from basic operations only (relative error ~1e-16). */
export function detExp(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 709.8) return Infinity;
  if (x < -745.2) return 0;
  const k = Math.round(x / 0.6931471805599453);
  const r = x - k * LN2_HI - k * LN2_LO; // |r| <= ~0.347
  // Taylor series, Horner form; 18 terms are far below double precision at |r| < 0.35.
  let p = 1;
  for (let n = 18; n >= 1; n--) p = 1 + (p * r) / n;
  // Split the scaling so that 2^k never overflows on its own near the edges.
  const k1 = k >> 1;
  return p * pow2(k1) * pow2(k - k1);
}

/** tanh from detExp. */
export function detTanh(x: number): number {
  if (x > 20) return 1;
  if (x < -20) return -1;
  if (Math.abs(x) < 1e-4) return x - (x * x * x) / 3;
  const e = detExp(2 * x);
  return (e - 1) / (e + 1);
}
