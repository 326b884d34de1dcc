/**
 * A small protobuf encoder for the ONNX messages: small messages are built in memory
 * (ProtoWriter); the big payloads (initializers' raw_data) are streamed by write.ts, which only
 * needs their sizes up front (lenHeader).
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Bytes of an unsigned varint (non-negative safe integers). */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function pushVarint(out: number[], v: number): void {
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** A varint of a signed 64-bit value: negatives as 10-byte two's complement, as protobuf does. */
function pushInt64(out: number[], v: number): void {
  if (v >= 0) return pushVarint(out, v);
  let b = BigInt.asUintN(64, BigInt(v));
  while (b >= 128n) {
    out.push(Number(b & 127n) | 128);
    b >>= 7n;
  }
  out.push(Number(b));
}

/** Tag plus length of a length-delimited field whose body has `length` bytes. */
export function lenHeader(field: number, length: number): Uint8Array {
  const out: number[] = [];
  pushVarint(out, field * 8 + WIRE_LEN);
  pushVarint(out, length);
  return Uint8Array.from(out);
}

const utf8 = new TextEncoder();

/** Builds one message's bytes; fields are appended in call order. */
export class ProtoWriter {
  private readonly parts: number[] = [];
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private flushParts(): void {
    if (this.parts.length === 0) return;
    const b = Uint8Array.from(this.parts);
    this.chunks.push(b);
    this.size += b.length;
    this.parts.length = 0;
  }

  int(field: number, v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`protobuf integer field ${field}: ${v} is not a safe integer`);
    pushVarint(this.parts, field * 8 + WIRE_VARINT);
    pushInt64(this.parts, v);
    return this;
  }

  float(field: number, v: number): this {
    pushVarint(this.parts, field * 8 + WIRE_FIXED32);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.parts.push(b[0], b[1], b[2], b[3]);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    pushVarint(this.parts, field * 8 + WIRE_LEN);
    pushVarint(this.parts, b.length);
    this.flushParts();
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  /** Every value as its own field (the unpacked encoding every proto2 and proto3 parser accepts). */
  ints(field: number, vs: readonly number[]): this {
    for (const v of vs) this.int(field, v);
    return this;
  }

  floats(field: number, vs: readonly number[]): this {
    for (const v of vs) this.float(field, v);
    return this;
  }

  finish(): Uint8Array {
    this.flushParts();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    this.chunks.length = 0;
    this.chunks.push(out);
    return out;
  }
}
