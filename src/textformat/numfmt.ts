/**
 * Number formatting exactly as C++ protobuf 3.12 prints float and double fields in text format:
 * SimpleFtoa (printf "%.6g", and "%.9g" if that does not read back as the same float32) and
 * SimpleDtoa ("%.15g", then "%.17g"). printf's %g is reimplemented from the exact binary value
 * (BigInt), rounding half to even as glibc does; JS toPrecision rounds ties away from zero and
 * spells exponents differently, so it cannot be used.
 */

const f64 = new Float64Array(1);
const u32of64 = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1);
const u32of32 = new Uint32Array(f32.buffer);

/** Exact decimal expansion of a finite, non-zero |v|: v = digits * 10^-scale (digits has no leading zeros). */
function exactDecimal(v: number): { digits: string; scale: number } {
  f64[0] = v;
  const lo = u32of64[0];
  const hi = u32of64[1];
  const biasedExp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biasedExp === 0) {
    exp = -1074; // subnormal
  } else {
    mant |= 1n << 52n;
    exp = biasedExp - 1075;
  }
  if (exp >= 0) return { digits: (mant << BigInt(exp)).toString(), scale: 0 };
  // mant / 2^k = mant * 5^k / 10^k
  const k = -exp;
  return { digits: (mant * 5n ** BigInt(k)).toString(), scale: k };
}

/**
 * Round the exact value to `prec` significant digits, half to even.
 * Returns the digit string (exactly prec digits) and the decimal exponent of the first digit.
 */
function roundSignificant(v: number, prec: number): { digits: string; exp10: number } {
  if (prec <= 100) {
    // Fast path: toExponential is correctly rounded but breaks ties upward; a tie is only
    // possible when the next digit is exactly 5, so only then take the exact BigInt path.
    const longer = v.toExponential(Math.min(prec, 100));
    const eAt = longer.indexOf('e');
    if (longer.charCodeAt(eAt - 1) !== 53) {
      const r = v.toExponential(prec - 1);
      const e = r.indexOf('e');
      const digits = prec === 1 ? r.slice(0, e) : r[0] + r.slice(2, e);
      return { digits, exp10: Number(r.slice(e + 1)) };
    }
  }
  const { digits, scale } = exactDecimal(v);
  let exp10 = digits.length - 1 - scale;
  if (digits.length <= prec) return { digits: digits.padEnd(prec, '0'), exp10 };
  let head = digits.slice(0, prec);
  const next = digits.charCodeAt(prec) - 48;
  let roundUp = false;
  if (next > 5) roundUp = true;
  else if (next === 5) {
    // Exactly half only if every later digit is zero.
    let rest = false;
    for (let i = prec + 1; i < digits.length; i++) {
      if (digits.charCodeAt(i) !== 48) {
        rest = true;
        break;
      }
    }
    roundUp = rest || (head.charCodeAt(prec - 1) - 48) % 2 === 1;
  }
  if (roundUp) {
    const inc = (BigInt(head) + 1n).toString();
    if (inc.length > prec) {
      head = inc.slice(0, prec);
      exp10 += 1;
    } else {
      head = inc;
    }
  }
  return { digits: head, exp10 };
}

/** printf("%.<prec>g", v) as glibc prints it (prec >= 1). */
export function formatG(v: number, prec: number): string {
  if (Number.isNaN(v)) return (isNegativeNaN(v) ? '-' : '') + 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  const p = prec === 0 ? 1 : prec;
  const neg = v < 0 || Object.is(v, -0);
  const sign = neg ? '-' : '';
  if (v === 0) return sign + '0';
  const { digits, exp10 } = roundSignificant(Math.abs(v), p);
  let out: string;
  if (exp10 < -4 || exp10 >= p) {
    // %e style: d.ddd e±XX, trailing zeros removed
    const frac = digits.slice(1).replace(/0+$/, '');
    const e = Math.abs(exp10);
    out = digits[0] + (frac ? '.' + frac : '') + 'e' + (exp10 < 0 ? '-' : '+') + (e < 10 ? '0' + e : String(e));
  } else if (exp10 >= 0) {
    const intPart = digits.slice(0, exp10 + 1);
    const frac = digits.slice(exp10 + 1).replace(/0+$/, '');
    out = intPart + (frac ? '.' + frac : '');
  } else {
    const frac = ('0'.repeat(-exp10 - 1) + digits).replace(/0+$/, '');
    out = '0.' + frac;
  }
  return sign + out;
}

function isNegativeNaN(v: number): boolean {
  f64[0] = v;
  return (u32of64[1] & 0x80000000) !== 0;
}

/** The float32 nearest to a decimal string, as strtof would give it (correct rounding, ties to even). */
export function strtof(s: string): number {
  const d = Number.parseFloat(s);
  const f = Math.fround(d);
  if (f === d || !Number.isFinite(d)) return f;
  // parseFloat is correctly rounded to double; rounding that to float32 only differs from direct
  // rounding when the double lands exactly on a float32 midpoint. Resolve that case exactly.
  const other = adjacentFloat32(f, d > f);
  if ((f + other) / 2 !== d) return f;
  const cmp = compareDecimalWithDouble(s, d);
  if (cmp === 0) return evenFloat32(f, other);
  const lower = Math.min(f, other);
  const upper = Math.max(f, other);
  return cmp < 0 ? lower : upper;
}

/** The float32 next to f (which must be finite), upward or downward. */
function adjacentFloat32(f: number, up: boolean): number {
  f32[0] = f;
  if (f === 0) {
    u32of32[0] = 1;
    return up ? f32[0] : -f32[0];
  }
  const awayFromZero = up === f > 0;
  u32of32[0] += awayFromZero ? 1 : -1;
  return f32[0];
}

function evenFloat32(a: number, b: number): number {
  f32[0] = a;
  return (u32of32[0] & 1) === 0 ? a : b;
}

/** Sign of (decimal string s) - d, computed exactly. s is a plain decimal/exponent literal. */
function compareDecimalWithDouble(s: string, d: number): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
  if (!m) return Math.sign(Number.parseFloat(s) - d);
  const neg = m[1] === '-';
  const intDigits = m[2] ?? '';
  const fracDigits = m[3] ?? '';
  let num = BigInt((intDigits + fracDigits) || '0');
  let e10 = Number(m[4] ?? '0') - fracDigits.length; // value = num * 10^e10
  if (neg) num = -num;
  // d = dd * 10^-scale exactly
  const { digits, scale } = exactDecimal(Math.abs(d));
  let dn = BigInt(digits);
  if (d < 0) dn = -dn;
  // compare num*10^e10 with dn*10^-scale  ->  num*10^(e10+scale) vs dn
  const shift = e10 + scale;
  let lhs = num;
  let rhs = dn;
  if (shift >= 0) lhs = num * 10n ** BigInt(shift);
  else rhs = dn * 10n ** BigInt(-shift);
  return lhs < rhs ? -1 : lhs > rhs ? 1 : 0;
}

const FLT_MIN = 2 ** -126;

/** C++ protobuf SimpleFtoa: how a float field is printed. `v` is rounded to float32 first. */
export function simpleFtoa(v: number): string {
  const f = Math.fround(v);
  if (f === Infinity) return 'inf';
  if (f === -Infinity) return '-inf';
  if (Number.isNaN(f)) return 'nan';
  // C++ checks the short form with strtof and errno: a subnormal result sets ERANGE, so
  // subnormals always take the long form.
  if (f !== 0 && Math.abs(f) < FLT_MIN) return formatG(f, 9);
  const short = formatG(f, 6);
  if (strtof(short) === f) return short;
  return formatG(f, 9);
}

/** C++ protobuf SimpleDtoa: how a double field is printed (its check ignores errno, unlike SimpleFtoa). */
export function simpleDtoa(v: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Number.isNaN(v)) return 'nan';
  const short = formatG(v, 15);
  if (Number.parseFloat(short) === v) return short;
  return formatG(v, 17);
}
