/**
 * Deterministic random numbers, byte-identical on every JavaScript engine: integer arithmetic
 * plus layers/det-math.ts's detLog (Math.log is not required to be correctly rounded).
 *
 * Streams: each (seed, name, index) gets its own xoshiro128** generator, seeded through
 * splitmix32 from the seed's two 32-bit halves, a 32-bit FNV-1a hash of the UTF-8 name and the
 * index. Adding or renaming one layer therefore leaves every other layer's numbers unchanged.
 */
import { detLog } from '../layers/det-math';

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
