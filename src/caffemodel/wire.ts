/**
 * A minimal protobuf wire-format walker and writer helpers.
 *
 * The caffemodel reader walks the big messages (NetParameter, LayerParameter, BlobProto) itself so
 * that multi-hundred-megabyte float payloads are never decoded into JS numbers; only small spans go
 * to protobufjs. Errors are `WireError`s carrying the byte offset; callers add file and context.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

export type WireType = 0 | 1 | 2 | 3 | 4 | 5;

/** Protobuf's own parsers stop at 100 levels of nesting; no Caffe message nests groups at all. */
const MAX_GROUP_DEPTH = 100;

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'];

/** Malformed protobuf bytes at `offset` (absolute, in the buffer being walked). */
export class WireError extends Error {
  constructor(readonly offset: number, readonly detail: string) {
    super(`at byte ${offset}: ${detail}`);
    this.name = 'WireError';
  }
}

/** One field header, plus where the field (tag included) starts. */
export interface FieldHeader {
  field: number;
  wireType: WireType;
  /** Offset of the tag's first byte. */
  start: number;
}

/** A byte range [start, end) of the buffer. */
export interface Span {
  start: number;
  end: number;
}

const TWO_32 = 4294967296;

/**
 * A buffer filled on demand (a file being read as it is walked): bytes [0, loaded) are present,
 * `load(end)` makes them present up to at least `end`.
 */
export interface LazyBytes {
  loaded: number;
  load(end: number): void;
}

/**
 * Reads fields from buf[start, end). Offsets are absolute positions in `buf`, so errors point into
 * the file even for nested messages.
 */
export class WireReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
    readonly lazy?: LazyBytes,
  ) {
    if (start < 0 || end > buf.length || start > end) {
      throw new RangeError(`bad span [${start}, ${end}) of a ${buf.length}-byte buffer`);
    }
    this.pos = start;
  }

  /** A reader over a length-delimited span of the same buffer. */
  sub(span: Span): WireReader {
    return new WireReader(this.buf, span.start, span.end, this.lazy);
  }

  /** Makes bytes up to `end` (clamped to this reader's end) present. */
  need(end: number): void {
    const lazy = this.lazy;
    if (lazy !== undefined && end > lazy.loaded) lazy.load(Math.min(end, this.end));
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  /**
   * Unsigned varint of up to 64 bits as a number (exact below 2^53). `what` names the value for the
   * error message.
   */
  varint(what = 'varint'): number {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    this.need(start + 10);
    // Fast path: the low 28 bits fit in plain int arithmetic.
    let lo = 0;
    let shift = 0;
    let b: number;
    do {
      if (pos >= this.end) throw new WireError(start, `truncated ${what} (data ends at byte ${this.end})`);
      b = buf[pos++];
      lo |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 28);
    if (!(b & 0x80)) {
      this.pos = pos;
      return lo >>> 0;
    }
    // Bits 28..63: accumulate as a float (exact up to 2^53, approximate above).
    let value = lo >>> 0;
    let mul = 268435456; // 2^28
    for (let i = 0; i < 6; i++) {
      if (pos >= this.end) throw new WireError(start, `truncated ${what} (data ends at byte ${this.end})`);
      b = buf[pos++];
      value += (i === 5 ? b & 0x01 : b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) {
        if (i === 5 && b > 1) throw new WireError(start, `${what} overflows 64 bits`);
        this.pos = pos;
        return value;
      }
    }
    throw new WireError(start, `${what} is longer than 10 bytes`);
  }

  /** int32/enum varint: the low 32 bits, signed (negative values take 10 bytes on the wire). */
  int32(what = 'int32'): number {
    const start = this.pos;
    const v = this.varint(what);
    // Above 2^32 the number may be inexact: take the low 32 bits from the bytes instead.
    if (v < TWO_32) return v | 0;
    return this.lowBits32(start) | 0;
  }

  /** int64 varint as a signed number (exact within +-2^53). */
  int64(what = 'int64'): number {
    const start = this.pos;
    const v = this.varint(what);
    if (v < 2 ** 63) return v;
    // Negative: two's complement over 64 bits. Recompute exactly from the bytes.
    const lo = this.lowBits32(start);
    const hi = this.highBits32(start);
    return -((~hi >>> 0) * TWO_32 + ((~lo >>> 0) + 1));
  }

  private lowBits32(start: number): number {
    let lo = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.buf[start + i];
      lo |= (b & 0x7f) << (7 * i);
      if (!(b & 0x80)) break;
    }
    return lo >>> 0;
  }

  private highBits32(start: number): number {
    let hi = 0;
    const b4 = this.buf[start + 4];
    hi = (b4 & 0x7f) >> 4;
    for (let i = 5; i < 10; i++) {
      const b = this.buf[start + i];
      hi |= (b & 0x7f) << (7 * (i - 5) + 3);
      if (!(b & 0x80)) break;
    }
    return hi >>> 0;
  }

  /** Next field header; throws on wire types 6 and 7 and on field number 0. */
  tag(): FieldHeader {
    const start = this.pos;
    const key = this.varint('field tag');
    const wireType = key % 8;
    const field = Math.floor(key / 8);
    if (wireType > 5) throw new WireError(start, `invalid wire type ${wireType} (field ${field})`);
    if (field === 0 || field > 536870911) throw new WireError(start, `invalid field number ${field}`);
    return { field, wireType: wireType as WireType, start };
  }

  /** The payload span of a length-delimited field (after its tag). */
  lengthDelimited(what = 'length-delimited field'): Span {
    const lenAt = this.pos;
    const len = this.varint(`length of ${what}`);
    const start = this.pos;
    if (len > this.end - start) {
      throw new WireError(
        lenAt,
        `${what} claims ${len} bytes but only ${this.end - start} remain (truncated file?)`,
      );
    }
    this.pos = start + len;
    return { start, end: start + len };
  }

  fixed32Offset(what = 'fixed32'): number {
    const at = this.pos;
    if (this.end - at < 4) throw new WireError(at, `truncated ${what}`);
    this.need(at + 4);
    this.pos = at + 4;
    return at;
  }

  fixed64Offset(what = 'fixed64'): number {
    const at = this.pos;
    if (this.end - at < 8) throw new WireError(at, `truncated ${what}`);
    this.need(at + 8);
    this.pos = at + 8;
    return at;
  }

  /** Skips the value of a field whose header was just read (groups with everything in them). */
  skip(h: FieldHeader): void {
    switch (h.wireType) {
      case WIRE_VARINT:
        this.varint(`varint field ${h.field}`);
        return;
      case WIRE_FIXED64:
        this.fixed64Offset(`fixed64 field ${h.field}`);
        return;
      case WIRE_LEN:
        this.lengthDelimited(`field ${h.field}`);
        return;
      case WIRE_FIXED32:
        this.fixed32Offset(`fixed32 field ${h.field}`);
        return;
      case WIRE_START_GROUP: {
        // Iterative with a depth bound: nested groups in hostile input must not exhaust the stack.
        const open: FieldHeader[] = [h];
        while (open.length > 0) {
          const top = open[open.length - 1];
          if (this.eof()) throw new WireError(top.start, `group field ${top.field} is not closed`);
          const inner = this.tag();
          if (inner.wireType === WIRE_END_GROUP) {
            if (inner.field !== top.field) throw new WireError(inner.start, `end-group ${inner.field} closes group ${top.field}`);
            open.pop();
          } else if (inner.wireType === WIRE_START_GROUP) {
            if (open.length >= MAX_GROUP_DEPTH) throw new WireError(inner.start, `groups nested more than ${MAX_GROUP_DEPTH} deep`);
            open.push(inner);
          } else {
            this.skip(inner);
          }
        }
        return;
      }
      case WIRE_END_GROUP:
        throw new WireError(h.start, `unexpected end-group for field ${h.field}`);
    }
  }

  /** Throws unless the field has the expected wire type. */
  expect(h: FieldHeader, wireType: WireType, what: string): void {
    if (h.wireType !== wireType) {
      throw new WireError(
        h.start,
        `${what} (field ${h.field}) has wire type ${WIRE_NAMES[h.wireType]}, expected ${WIRE_NAMES[wireType]}`,
      );
    }
  }
}

/** Number of bytes of `value` (non-negative integer < 2^53) as a varint. */
export function varintSize(value: number): number {
  let n = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Writes `value` (non-negative integer < 2^53) as a varint at out[pos]; returns the new position. */
export function putVarint(out: Uint8Array, pos: number, value: number): number {
  while (value >= 128) {
    out[pos++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[pos++] = value;
  return pos;
}

/** Tag bytes for (field, wireType). */
export function encodeTag(field: number, wireType: WireType): Uint8Array {
  const key = field * 8 + wireType;
  const out = new Uint8Array(varintSize(key));
  putVarint(out, 0, key);
  return out;
}

/** Tag plus length prefix of a length-delimited field with a payload of `length` bytes. */
export function encodeLenHeader(field: number, length: number): Uint8Array {
  const key = field * 8 + WIRE_LEN;
  const out = new Uint8Array(varintSize(key) + varintSize(length));
  putVarint(out, putVarint(out, 0, key), length);
  return out;
}

/**
 * Splits a message into its top-level fields (tag included), in order. Used to insert fields into
 * protobufjs output at the position a field-number-ordered serializer would put them.
 */
export function splitFields(buf: Uint8Array): Array<{ field: number; span: Span }> {
  const r = new WireReader(buf);
  const out: Array<{ field: number; span: Span }> = [];
  while (!r.eof()) {
    const h = r.tag();
    r.skip(h);
    out.push({ field: h.field, span: { start: h.start, end: r.pos } });
  }
  return out;
}
