/**
 * Protobuf text format printer, byte-compatible with C++ protobuf 3.12
 * TextFormat::PrintToString with default options (what Caffe writes): fields in field-number
 * order, one line per repeated element, 2-space indentation, CEscape'd strings, SimpleFtoa /
 * SimpleDtoa numbers.
 */
import * as protobuf from 'protobufjs';
import { FieldInfo, INT_RANGES, enumNameOf, typeInfo } from './reflect';
import { simpleDtoa, simpleFtoa } from './numfmt';

const utf8 = new TextEncoder();
/** Any character CEscape would change: controls, quotes, backslash, DEL and everything non-ASCII. */
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x26\x28-\x5b\x5d-\x7e]/;

/** Print a message (plain object with proto field names as keys) in Caffe's text format. */
export function printText(msg: object, type: protobuf.Type): string {
  // V8 builds string concatenations as ropes; far cheaper than join() over many tiny pieces.
  const out = { s: '' };
  printMessage(msg as Record<string, unknown>, type, '', out);
  return out.s;
}

function printMessage(msg: Record<string, unknown>, type: protobuf.Type, indent: string, out: { s: string }): void {
  const info = typeInfo(type);
  // Messages are sparse (a layer sets a handful of LayerParameter's ~60 fields): walk the keys
  // present and sort them by field number rather than probing every field.
  const present: FieldInfo[] = [];
  let sorted = true;
  for (const key in msg) {
    if (msg[key] === undefined) continue;
    const fi = info.byName.get(key);
    if (fi === undefined) throw new Error(`printText: ${info.name} has no field '${key}'`);
    if (present.length > 0 && present[present.length - 1].id > fi.id) sorted = false;
    present.push(fi);
  }
  if (!sorted) present.sort((a, b) => a.id - b.id);
  for (const fi of present) {
    const v = msg[fi.name];
    if (fi.repeated) {
      if (!Array.isArray(v) && !ArrayBuffer.isView(v)) {
        throw new Error(`printText: repeated field ${info.name}.${fi.name} must be an array`);
      }
      const arr = v as ArrayLike<unknown>;
      for (let i = 0; i < arr.length; i++) printField(fi, arr[i], indent, out, info.name);
    } else {
      printField(fi, v, indent, out, info.name);
    }
  }
}

function printField(fi: FieldInfo, v: unknown, indent: string, out: { s: string }, owner: string): void {
  if (fi.kind === 'message') {
    if (v === null || typeof v !== 'object') {
      throw new Error(`printText: message field ${owner}.${fi.name} must be an object`);
    }
    out.s += indent + fi.name + ' {\n';
    printMessage(v as Record<string, unknown>, fi.type, indent + '  ', out);
    out.s += indent + '}\n';
    return;
  }
  out.s += indent + fi.name + ': ' + formatScalar(fi, v, owner) + '\n';
}

function badValue(fi: FieldInfo, v: unknown, owner: string, what: string): Error {
  return new Error(`printText: ${owner}.${fi.name}: ${what}, got ${String(v)}`);
}

function formatScalar(fi: FieldInfo, v: unknown, owner: string): string {
  if (fi.kind === 'enum') {
    if (typeof v === 'string') {
      if (!Object.prototype.hasOwnProperty.call(fi.type.values, v)) throw badValue(fi, v, owner, 'unknown enum value name');
      return v;
    }
    if (typeof v === 'number' && Number.isInteger(v)) return enumNameOf(fi.type, v) ?? String(v);
    throw badValue(fi, v, owner, 'expected an enum value name');
  }
  if (fi.kind !== 'scalar') throw badValue(fi, v, owner, 'unexpected');
  switch (fi.scalar) {
    case 'float':
      if (typeof v !== 'number') throw badValue(fi, v, owner, 'expected a number');
      return simpleFtoa(v);
    case 'double':
      if (typeof v !== 'number') throw badValue(fi, v, owner, 'expected a number');
      return simpleDtoa(v);
    case 'bool':
      if (typeof v !== 'boolean') throw badValue(fi, v, owner, 'expected a boolean');
      return v ? 'true' : 'false';
    case 'string':
      if (typeof v !== 'string') throw badValue(fi, v, owner, 'expected a string');
      // Most strings (layer and blob names) need no escaping: skip the UTF-8 round trip.
      return '"' + (NEEDS_ESCAPE.test(v) ? cEscape(utf8.encode(v)) : v) + '"';
    case 'bytes':
      if (!(v instanceof Uint8Array)) throw badValue(fi, v, owner, 'expected a Uint8Array');
      return '"' + cEscape(v) + '"';
    default: {
      const [lo, hi] = INT_RANGES[fi.scalar];
      if (typeof v === 'number' && Number.isSafeInteger(v)) {
        if (v < lo || v > hi) throw badValue(fi, v, owner, `out of range for ${fi.scalar}`);
        return String(v);
      }
      let b: bigint;
      if (typeof v === 'number' && Number.isInteger(v)) {
        // 64-bit limits are not doubles: 2^64-1 parses to the number 2^64. Accept what the
        // limits round to and print the limit itself.
        if (v < Number(lo) || v > Number(hi)) throw badValue(fi, v, owner, `out of range for ${fi.scalar}`);
        b = BigInt(v);
        if (b > hi) b = hi;
      } else if (typeof v === 'bigint') {
        b = v;
      } else {
        throw badValue(fi, v, owner, 'expected an integer');
      }
      if (b < lo || b > hi) throw badValue(fi, v, owner, `out of range for ${fi.scalar}`);
      return b.toString();
    }
  }
}

/** C++ protobuf CEscape: named escapes for \n \r \t " ' \\, 3-digit octal for other non-printable bytes. */
export function cEscape(bytes: Uint8Array): string {
  let s = '';
  let runStart = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    let esc: string | undefined;
    if (c === 10) esc = '\\n';
    else if (c === 13) esc = '\\r';
    else if (c === 9) esc = '\\t';
    else if (c === 34) esc = '\\"';
    else if (c === 39) esc = "\\'";
    else if (c === 92) esc = '\\\\';
    else if (c < 0x20 || c >= 0x7f) esc = '\\' + c.toString(8).padStart(3, '0');
    if (esc !== undefined) {
      if (i > runStart) s += asciiOf(bytes.subarray(runStart, i));
      s += esc;
      runStart = i + 1;
    }
  }
  if (runStart < bytes.length) {
    s += asciiOf(bytes.subarray(runStart));
  }
  return s;
}

function asciiOf(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}
