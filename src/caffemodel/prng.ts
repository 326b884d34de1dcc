/**
 * Deterministic random numbers and the few transcendental functions the random-weight generator
 * needs, computed with IEEE basic operations only (+ - * / sqrt and exact bit manipulation), so
 * that the same seed gives byte-identical weights on every JavaScript engine (Math.log/exp are
 * not required to be correctly rounded and have changed between engine versions).
 *
 * Streams: each (seed, name, index) gets its own xoshiro128** generator, seeded through
 * splitmix32 from the seed's two 32-bit halves, a 32-bit FNV-1a hash of the UTF-8 name and the
 * index. Adding or renaming one layer therefore leaves every other layer's numbers unchanged.
 */

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
// Index of the high word of a float64 in U32 (1 on little-endian hosts).
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** splitmix32 step: returns [next state, output]. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [s, z >>> 0];
}

/** 32-bit FNV-1a of the UTF-8 bytes of s. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** xoshiro128** (Blackman and Vigna), 32-bit outputs. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  /** A stream for (seed, name, index); seed is any non-negative safe integer. */
  constructor(seed: number, name: string, index: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, not ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    let st = lo ^ Math.imul(hi ^ 0x5bd1e995, 0x27d4eb2d);
    st ^= fnv1a32(name);
    st = (st + Math.imul(index + 1, 0x632be5ab)) | 0;
    const words: number[] = [];
    while (words.length < 4) {
      const [next, out] = splitmix32(st);
      st = next;
      words.push(out);
    }
    // An all-zero state would stay zero; splitmix32 never yields four zeros in practice, but be safe.
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
    this.s0 = words[0];
    this.s1 = words[1];
    this.s2 = words[2];
    this.s3 = words[3];
  }

  /** Next 32-bit output as an unsigned integer. */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform01(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform01();
  }

  /** Standard normal by Marsaglia's polar method (pairs; the second value is kept for the next call). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    for (;;) {
      const u = 2 * this.uniform01() - 1;
      const v = 2 * this.uniform01() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * detLog(s)) / s);
      this.spare = v * f;
      return u * f;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

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
