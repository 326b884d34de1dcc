/**
 * Reading binary caffemodels (NetParameter), mean files (BlobProto) and BlobProtoVectors.
 *
 * The file is read once into one buffer. The big messages are walked here; blob payloads become
 * Float32Array views over that buffer (never JS number arrays), and only the small rest of each
 * layer goes through protobufjs. Peak memory stays near one file size.
 *
 * `indexCaffemodel` runs the same walk without reading any payload: each blob becomes a BlobRef
 * (shape, encoding, file offsets), to be read later into caller-owned memory (see payload.ts).
 */
import * as fs from 'fs';
import { cannotRead, openInput } from '../input-file';
import { InputFileError } from '../errors';
import { checkWireTypes, decodePlain } from './schema-link';
import {
  BlobData,
  BlobRef,
  Caffemodel,
  CaffemodelFormat,
  CaffemodelIndex,
  NetParameter,
  PayloadChunk,
  v0TypeToV2,
  v1TypeToV2,
} from './types';
import {
  FieldHeader,
  putVarint,
  Span,
  varintSize,
  WireError,
  WireReader,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from './wire';

export type { BlobData, BlobRef, Caffemodel, CaffemodelFormat, CaffemodelIndex, LayerWeights } from './types';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// Field numbers (caffe.proto).
const NET_LAYERS_V1 = 2;
const NET_LAYER = 100;
const LAYER_BLOBS = 7;
const V1_BLOBS = 6;
const V1_V0LAYER = 1;
const V0_BLOBS = 50;
const BLOB_NUM = 1;
const BLOB_CHANNELS = 2;
const BLOB_HEIGHT = 3;
const BLOB_WIDTH = 4;
const BLOB_DATA = 5;
const BLOB_SHAPE = 7;
const BLOB_DOUBLE_DATA = 8;
const SHAPE_DIM = 1;
const BLOBVEC_BLOBS = 1;

/**
 * A buffer to parse, its name for messages, whether we may rewrite it (our own file copy), and for
 * files the loader that fills it as the walk proceeds.
 */
interface Source {
  buf: Uint8Array;
  name: string;
  owned: boolean;
  lazy?: FileLoader;
  /** Index only: payloads are passed over, never read (the buffer's pages under them stay untouched). */
  indexOnly?: boolean;
}

// Read-ahead for the small parts between payloads; little of a payload is ever read twice.
const READ_AHEAD = 16384;
// When indexing, read-ahead lands mostly on the next payload, which is not wanted: stay small.
const INDEX_READ_AHEAD = 512;

/**
 * Fills one preallocated, file-sized buffer from a file on demand, in file order. Payloads are read
 * by `readPayloadAt` straight to their final (aligned) address, so every page of the buffer is
 * written about once: on VMs where first writes to fresh memory are costly, a second pass over the
 * data (an in-place realignment) would cost as much as the read itself.
 */
class FileLoader {
  loaded = 0;

  constructor(
    private readonly fd: number,
    readonly buf: Buffer,
    private readonly name: string,
    private readonly readAhead = READ_AHEAD,
  ) {}

  load(end: number): void {
    const target = Math.min(this.buf.length, Math.max(end, this.loaded + this.readAhead));
    if (target <= this.loaded) return;
    this.readRange(this.loaded, target, this.loaded);
    this.loaded = target;
  }

  /** Index only: a payload is passed over unread; the walk goes on after `end`. */
  pass(end: number): void {
    this.loaded = Math.max(this.loaded, end);
  }

  /** Reads file bytes [start, end) to buf[dst...]; afterwards everything up to `end` counts as loaded. */
  readPayloadAt(start: number, end: number, dst: number): void {
    this.readRange(start, end, dst);
    this.loaded = Math.max(this.loaded, end);
  }

  private readRange(start: number, end: number, dst: number): void {
    let off = 0;
    const len = end - start;
    try {
      while (off < len) {
        const n = fs.readSync(this.fd, this.buf, dst + off, Math.min(len - off, 0x40000000), start + off);
        if (n === 0) break;
        off += n;
      }
    } catch (e) {
      throw cannotRead(this.name, e);
    }
    if (off < len) throw new InputFileError(this.name, `file shrank while reading (ends before byte ${end})`);
  }
}

/**
 * Opens a file for lazy reading into one buffer (byte offset 0, so aligned); or wraps a buffer.
 * With `indexOnly` the file-sized buffer is an address range only: the walk writes just the bytes
 * between payloads, so only their pages are ever backed by memory.
 */
function openSource(fileOrBuffer: string | Uint8Array, indexOnly = false): Source & { close(): void } {
  if (typeof fileOrBuffer !== 'string') {
    return { buf: fileOrBuffer, name: '<buffer>', owned: false, close: () => undefined };
  }
  const file = fileOrBuffer;
  const fd = openInput(file);
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new InputFileError(file, 'is a folder, expected a binary protobuf file');
    // Read by random access, at the size the file has: a stream or device has none.
    if (!st.isFile()) throw new InputFileError(file, 'is not a regular file (a device, pipe or socket), expected a binary protobuf file');
    // allocUnsafeSlow: never from the shared pool, so byteOffset is 0 and the memory is ours.
    const buf = Buffer.allocUnsafeSlow(st.size);
    const lazy = new FileLoader(fd, buf, file, indexOnly ? INDEX_READ_AHEAD : READ_AHEAD);
    return { buf, name: file, owned: true, lazy, indexOnly, close: () => fs.closeSync(fd) };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/**
 * True when the start of the buffer reads as text (UTF-8 without control characters other than
 * whitespace) -- a prototxt, not a binary protobuf. Binary NetParameters have tag and length bytes
 * (< 0x20) within their first few hundred bytes.
 */
export function looksLikeText(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, 4096);
  if (n === 0) return false;
  let letters = 0;
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) return false;
    if (b === 0x7f) return false;
    if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) letters++;
  }
  if (letters === 0) return false;
  // Cut back to a character boundary before the strict UTF-8 check.
  let m = n;
  if (n < buf.length) {
    let k = 0;
    while (k < 3 && m > 0 && (buf[m - 1] & 0xc0) === 0x80) {
      m--;
      k++;
    }
    if (m > 0 && buf[m - 1] >= 0xc0) m--;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, m));
    return true;
  } catch {
    return false;
  }
}

const utf8 = new TextDecoder('utf-8');

/** Mutable description of what is being read, for error messages. */
class Context {
  what = 'NetParameter';
}

function fail(src: Source, ctx: Context, e: unknown): never {
  if (e instanceof WireError) {
    throw new InputFileError(src.name, `corrupt or truncated protobuf at byte ${e.offset} while reading ${ctx.what}: ${e.detail}`);
  }
  if (e instanceof InputFileError) throw e;
  if (e instanceof Error && !(e instanceof RangeError && /Maximum call stack/.test(e.message))) {
    // protobufjs decode errors (index out of range, invalid utf8 ...).
    throw new InputFileError(src.name, `cannot decode ${ctx.what}: ${e.message}`);
  }
  throw e;
}

/** Joins byte ranges of the source into one new buffer (the small non-blob parts of a message). */
function concatSpans(src: Source, spans: Span[]): Uint8Array {
  const buf = src.buf;
  if (spans.length > 0) src.lazy?.load(spans[spans.length - 1].end);
  let total = 0;
  for (const s of spans) total += s.end - s.start;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const s of spans) {
    out.set(buf.subarray(s.start, s.end), pos);
    pos += s.end - s.start;
  }
  return out;
}

/** Checks wire types, then decodes with protobufjs. `at` is the absolute offset for errors. */
function decodeChecked<T>(typeName: string, bytes: Uint8Array, at: number): T {
  try {
    checkWireTypes(typeName, bytes, 0, bytes.length);
  } catch (e) {
    // Offsets are relative to the joined bytes; report the message start in the file.
    if (e instanceof WireError) throw new WireError(at, `${e.detail} (${e.offset} bytes into the ${typeName} without its blobs)`);
    throw e;
  }
  return decodePlain<T>(typeName, bytes);
}

/** A piece of float payload: a packed run, one fixed32, or a packed/single double. */
type Chunk =
  | { kind: 'f32'; start: number; end: number; headerStart: number }
  | { kind: 'f64'; start: number; end: number };

/** A walked BlobProto: its shape, and where its values are (float or double pieces, in file order). */
interface ScannedBlob {
  shape: number[];
  legacy: boolean;
  floats: Chunk[];
  doubles: Chunk[];
}

/** Parses one BlobProto at `span`, its values as a Float32Array (usually a view over the file buffer). */
function parseBlob(src: Source, span: Span, ctx: Context): BlobData {
  const { shape, legacy, floats, doubles } = scanBlob(src, span, ctx);
  if (doubles.length > 0) src.lazy?.load(doubles[doubles.length - 1].end);
  const data = doubles.length > 0 ? doublesToFloat32(src.buf, doubles) : floatsToFloat32(src, floats);
  return { shape, legacy, data };
}

/** Indexes one BlobProto at `span`: shape and payload location, no values read. */
function refBlob(src: Source, span: Span, ctx: Context): BlobRef {
  const { shape, legacy, floats, doubles } = scanBlob(src, span, ctx);
  const kind = doubles.length > 0 ? 'f64' : 'f32';
  const chunks: PayloadChunk[] = (kind === 'f64' ? doubles : floats).map((c) => ({ start: c.start, end: c.end }));
  return { shape, legacy, count: shape.reduce((a, b) => a * b, 1), kind, chunks };
}

/** Walks one BlobProto at `span`: shape (checked against the stored value count) and value pieces. */
function scanBlob(src: Source, span: Span, ctx: Context): ScannedBlob {
  const r = new WireReader(src.buf, span.start, span.end, src.lazy);
  const legacy: Array<number | undefined> = [undefined, undefined, undefined, undefined];
  let shape: number[] | undefined;
  const floats: Chunk[] = [];
  const doubles: Chunk[] = [];
  while (!r.eof()) {
    const h = r.tag();
    switch (h.field) {
      case BLOB_NUM:
      case BLOB_CHANNELS:
      case BLOB_HEIGHT:
      case BLOB_WIDTH:
        r.expect(h, WIRE_VARINT, 'BlobProto legacy dimension');
        legacy[h.field - 1] = r.int32('BlobProto dimension');
        break;
      case BLOB_DATA:
        if (h.wireType === WIRE_LEN) {
          const s = r.lengthDelimited('BlobProto.data');
          if ((s.end - s.start) % 4 !== 0) {
            throw new WireError(h.start, `packed float data of ${s.end - s.start} bytes is not a multiple of 4`);
          }
          floats.push(placePayload(src, s, h.start));
        } else {
          r.expect(h, WIRE_FIXED32, 'BlobProto.data');
          const at = r.fixed32Offset('BlobProto.data value');
          floats.push({ kind: 'f32', start: at, end: at + 4, headerStart: h.start });
        }
        break;
      case BLOB_DOUBLE_DATA:
        if (h.wireType === WIRE_LEN) {
          const s = r.lengthDelimited('BlobProto.double_data');
          if ((s.end - s.start) % 8 !== 0) {
            throw new WireError(h.start, `packed double data of ${s.end - s.start} bytes is not a multiple of 8`);
          }
          if (src.indexOnly) src.lazy?.pass(s.end);
          doubles.push({ kind: 'f64', start: s.start, end: s.end });
        } else {
          r.expect(h, WIRE_FIXED64, 'BlobProto.double_data');
          const at = r.fixed64Offset('BlobProto.double_data value');
          doubles.push({ kind: 'f64', start: at, end: at + 8 });
        }
        break;
      case BLOB_SHAPE: {
        r.expect(h, WIRE_LEN, 'BlobProto.shape');
        const sr = r.sub(r.lengthDelimited('BlobShape'));
        // Repeated occurrences of an embedded message merge: dims append.
        shape = shape ?? [];
        while (!sr.eof()) {
          const sh = sr.tag();
          if (sh.field !== SHAPE_DIM) {
            sr.skip(sh);
          } else if (sh.wireType === WIRE_LEN) {
            const dr = sr.sub(sr.lengthDelimited('BlobShape.dim'));
            while (!dr.eof()) shape.push(dr.int64('BlobShape.dim'));
          } else {
            sr.expect(sh, WIRE_VARINT, 'BlobShape.dim');
            shape.push(sr.int64('BlobShape.dim'));
          }
        }
        break;
      }
      default:
        // diff, double_diff and unknown fields: Caffe ignores diffs when loading weights.
        r.skip(h);
    }
  }

  // As Caffe's Blob::FromProto: any legacy dimension set means the 4-D legacy shape wins.
  const isLegacy = legacy.some((d) => d !== undefined);
  const dims = isLegacy ? legacy.map((d) => d ?? 0) : (shape ?? []);
  for (const d of dims) {
    if (d < 0) throw new InputFileError(src.name, `${ctx.what}: negative dimension in shape [${dims.join(', ')}]`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const bytes = (cs: Chunk[]): number => cs.reduce((a, c) => a + c.end - c.start, 0);
  const stored = doubles.length > 0 ? bytes(doubles) / 8 : bytes(floats) / 4;
  if (stored !== count) {
    throw new InputFileError(
      src.name,
      `${ctx.what}: shape [${dims.join(', ')}] holds ${count} values but the blob stores ${stored}`,
    );
  }
  return { shape: dims, legacy: isLegacy, floats, doubles };
}

/**
 * A packed float payload met during the walk. From a file not read that far yet, it is read now,
 * once, straight to a 4-aligned address -- when misaligned, over its own already-parsed tag and
 * length bytes -- before the walk reads past it.
 */
function placePayload(src: Source, s: Span, headerStart: number): Chunk {
  const lazy = src.lazy;
  if (lazy === undefined || s.end <= lazy.loaded) return { kind: 'f32', start: s.start, end: s.end, headerStart };
  if (src.indexOnly) {
    lazy.pass(s.end);
    return { kind: 'f32', start: s.start, end: s.end, headerStart };
  }
  const shift = (src.buf.byteOffset + s.start) % 4;
  const dst = shift === 0 || s.start - shift >= headerStart ? s.start - shift : s.start;
  lazy.readPayloadAt(s.start, s.end, dst);
  return { kind: 'f32', start: dst, end: dst + (s.end - s.start), headerStart };
}

function floatsToFloat32(src: Source, chunks: Chunk[]): Float32Array {
  const buf = src.buf;
  if (chunks.length === 0) return new Float32Array(0);
  if (chunks.length === 1 && LITTLE_ENDIAN) {
    const c = chunks[0] as Extract<Chunk, { kind: 'f32' }>;
    const n = (c.end - c.start) / 4;
    const abs = buf.byteOffset + c.start;
    const shift = abs % 4;
    if (shift === 0) return new Float32Array(buf.buffer, abs, n);
    // Our own file buffer: slide the payload back over its own (already parsed) tag and length
    // bytes to an aligned address, instead of copying it. Nothing reads those bytes again.
    if (src.owned && c.start - shift >= c.headerStart) {
      buf.copyWithin(c.start - shift, c.start, c.end);
      return new Float32Array(buf.buffer, abs - shift, n);
    }
    return new Float32Array(buf.buffer.slice(abs, abs + n * 4));
  }
  src.lazy?.load(chunks[chunks.length - 1].end);
  let total = 0;
  for (const c of chunks) total += (c.end - c.start) / 4;
  const out = new Float32Array(total);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let k = 0;
  for (const c of chunks) {
    for (let p = c.start; p < c.end; p += 4) out[k++] = dv.getFloat32(p, true);
  }
  return out;
}

function doublesToFloat32(buf: Uint8Array, chunks: Chunk[]): Float32Array {
  let total = 0;
  for (const c of chunks) total += (c.end - c.start) / 8;
  const out = new Float32Array(total);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let k = 0;
  for (const c of chunks) {
    for (let p = c.start; p < c.end; p += 8) out[k++] = dv.getFloat64(p, true);
  }
  return out;
}

/**
 * Walks a message, handing each blob (field `blobField`) to `onBlob` as soon as it is met -- so its
 * payload is read straight to its final place before the walk reads past it -- and returning the
 * other fields (tag included) in order. `onField` may consume a field and return a replacement.
 */
function splitMessage(
  r: WireReader,
  blobField: number,
  onBlob: (span: Span) => void,
  onField?: (h: FieldHeader, r: WireReader) => Span | undefined,
): Span[] {
  const rest: Span[] = [];
  while (!r.eof()) {
    const h = r.tag();
    if (h.field === blobField) {
      r.expect(h, WIRE_LEN, 'blobs');
      onBlob(r.lengthDelimited('BlobProto'));
      continue;
    }
    const replaced = onField?.(h, r);
    if (replaced) {
      rest.push(replaced);
      continue;
    }
    r.skip(h);
    rest.push({ start: h.start, end: r.pos });
  }
  return rest;
}

/** Reads a string field's value without protobufjs (for error context before decoding). */
function peekString(r: WireReader, h: FieldHeader): string {
  const save = r.pos;
  const s = r.lengthDelimited('string');
  r.pos = save;
  r.need(s.end);
  return utf8.decode(r.buf.subarray(s.start, s.end));
}

/** What the walk makes of each blob: its values (parseBlob) or a reference to them (refBlob). */
type BlobReader<B> = (src: Source, span: Span, ctx: Context) => B;

/** A layer's name, V2 type and blobs, whatever the blobs are. */
interface WalkedLayer<B> {
  name: string;
  type: string;
  blobs: B[];
}

interface ParsedLayer<B> {
  msg: Record<string, unknown>;
  weights: WalkedLayer<B>;
}

function parseLayerV2<B>(src: Source, span: Span, index: number, ctx: Context, readBlob: BlobReader<B>): ParsedLayer<B> {
  let layerWhat = `layer #${index}`;
  ctx.what = layerWhat;
  let name = '';
  const blobs: B[] = [];
  const rest = splitMessage(
    new WireReader(src.buf, span.start, span.end, src.lazy),
    LAYER_BLOBS,
    (b) => {
      ctx.what = `${layerWhat} blob ${blobs.length}`;
      blobs.push(readBlob(src, b, ctx));
      ctx.what = layerWhat;
    },
    (h, r) => {
      if (h.field === 1 && h.wireType === WIRE_LEN) {
        name = peekString(r, h);
        layerWhat = ctx.what = `layer #${index} '${name}'`;
      }
      return undefined;
    },
  );
  const msg = decodeChecked<Record<string, unknown>>('LayerParameter', concatSpans(src, rest), span.start);
  return { msg, weights: { name: (msg.name as string | undefined) ?? name, type: (msg.type as string | undefined) ?? '', blobs } };
}

function parseLayerV1<B>(src: Source, span: Span, index: number, ctx: Context, readBlob: BlobReader<B>): ParsedLayer<B> & { v0: boolean } {
  let layerWhat = `layer #${index}`;
  ctx.what = layerWhat;
  const v1Blobs: B[] = [];
  const v0Blobs: B[] = [];
  const blobParser = (into: B[]) => (b: Span) => {
    ctx.what = `${layerWhat} blob ${v1Blobs.length + v0Blobs.length}`;
    into.push(readBlob(src, b, ctx));
    ctx.what = layerWhat;
  };
  let v0 = false;
  const pieces: Uint8Array[] = [];
  const rest = splitMessage(new WireReader(src.buf, span.start, span.end, src.lazy), V1_BLOBS, blobParser(v1Blobs), (h, r) => {
    if (h.field === 4 && h.wireType === WIRE_LEN) {
      layerWhat = ctx.what = `layer #${index} '${peekString(r, h)}'`;
    }
    if (h.field !== V1_V0LAYER || h.wireType !== WIRE_LEN) return undefined;
    // The nested V0LayerParameter keeps its blobs in field 50: strip them and re-frame it.
    v0 = true;
    const inner = r.lengthDelimited('V0LayerParameter');
    const subRest = splitMessage(r.sub(inner), V0_BLOBS, blobParser(v0Blobs), (hh, rr) => {
      if (hh.field === 1 && hh.wireType === WIRE_LEN) layerWhat = ctx.what = `layer #${index} '${peekString(rr, hh)}'`;
      return undefined;
    });
    const body = concatSpans(src, subRest);
    const key = V1_V0LAYER * 8 + WIRE_LEN;
    const framed = new Uint8Array(varintSize(key) + varintSize(body.length) + body.length);
    framed.set(body, putVarint(framed, putVarint(framed, 0, key), body.length));
    pieces.push(framed);
    // A marker span (negative, empty) keeps the field's position; the bytes come from `pieces`.
    return { start: -pieces.length, end: -pieces.length };
  });
  // Join plain spans and re-framed V0 pieces in their original order.
  const plain = rest.filter((s) => s.start >= 0);
  if (plain.length > 0) src.lazy?.load(plain[plain.length - 1].end);
  const parts = rest.map((s) => (s.start < 0 ? pieces[-s.start - 1] : src.buf.subarray(s.start, s.end)));
  const total = parts.reduce((a, p) => a + p.length, 0);
  const joined = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    joined.set(p, pos);
    pos += p.length;
  }
  const msg = decodeChecked<Record<string, unknown>>('V1LayerParameter', joined, span.start);
  const blobs = v1Blobs.concat(v0Blobs);
  const v0msg = msg.layer as Record<string, unknown> | undefined;
  const name = (msg.name as string | undefined) ?? (v0msg?.name as string | undefined) ?? '';
  let type = '';
  if (msg.type !== undefined) type = v1TypeToV2(String(msg.type));
  else if (v0msg?.type !== undefined) type = v0TypeToV2(String(v0msg.type));
  return { msg, v0, weights: { name, type, blobs } };
}

function parseNet<B>(src: Source, readBlob: BlobReader<B>): { format: CaffemodelFormat; net: NetParameter; layers: WalkedLayer<B>[] } {
  const ctx = new Context();
  try {
    const r = new WireReader(src.buf, 0, src.buf.length, src.lazy);
    const header: Span[] = [];
    const v2msgs: Record<string, unknown>[] = [];
    const v1msgs: Record<string, unknown>[] = [];
    const layers: WalkedLayer<B>[] = [];
    let v0 = false;
    // Layers are parsed as they are met, so that their payloads are read straight to their place
    // before the walk moves past them.
    while (!r.eof()) {
      const h = r.tag();
      if (h.field === NET_LAYER) {
        ctx.what = `layer #${v2msgs.length}`;
        r.expect(h, WIRE_LEN, 'NetParameter.layer');
        const p = parseLayerV2(src, r.lengthDelimited('LayerParameter'), v2msgs.length, ctx, readBlob);
        v2msgs.push(p.msg);
        layers.push(p.weights);
      } else if (h.field === NET_LAYERS_V1) {
        ctx.what = `layer #${v1msgs.length}`;
        r.expect(h, WIRE_LEN, 'NetParameter.layers');
        const p = parseLayerV1(src, r.lengthDelimited('V1LayerParameter'), v1msgs.length, ctx, readBlob);
        v0 = v0 || p.v0;
        v1msgs.push(p.msg);
        layers.push(p.weights);
      } else {
        ctx.what = 'NetParameter';
        r.skip(h);
        header.push({ start: h.start, end: r.pos });
      }
    }
    if (v2msgs.length > 0 && v1msgs.length > 0) {
      throw new InputFileError(
        src.name,
        `has both 'layer' (V2, ${v2msgs.length}) and 'layers' (V1, ${v1msgs.length}) fields; Caffe refuses such a net too`,
      );
    }
    ctx.what = 'NetParameter (without layers)';
    const net = decodeChecked<NetParameter>('NetParameter', concatSpans(src, header), 0);
    let format: CaffemodelFormat = 'V2';
    if (v1msgs.length > 0) {
      format = v0 ? 'V0' : 'V1';
      (net as Record<string, unknown>).layers = v1msgs;
    } else if (v2msgs.length > 0) {
      (net as Record<string, unknown>).layer = v2msgs;
    }
    return { format, net, layers };
  } catch (e) {
    fail(src, ctx, e);
  }
}

function rejectTextAndEmpty(src: Source, expected: string): void {
  if (src.buf.length === 0) throw new InputFileError(src.name, `is empty, expected a binary ${expected}`);
  src.lazy?.load(4096);
  if (looksLikeText(src.buf)) {
    throw new InputFileError(
      src.name,
      `is a text file (a prototxt?), expected a binary ${expected}. ` +
        (expected === 'caffemodel'
          ? 'Pass the trained .caffemodel as the weights and the .prototxt as the net definition.'
          : 'Text-format blobs are not supported; convert with Caffe or pass the binary file.'),
    );
  }
}

/**
 * Reads a binary caffemodel (any of Caffe's V2 `layer`, V1 `layers` or V0 nested formats).
 * `net` holds every field except the blobs, decoded by protobufjs; `layers` lists every layer of the
 * file in order with its blobs. Blob data are Float32Array views over one buffer holding the file
 * (read once, payloads placed at aligned addresses). A buffer passed in is never modified: its
 * misaligned payloads are copied.
 */
export function readCaffemodel(fileOrBuffer: string | Uint8Array): Caffemodel {
  return walkCaffemodel(fileOrBuffer, parseBlob, false);
}

/**
 * Indexes a binary caffemodel file without reading its blob payloads: `net` as readCaffemodel
 * gives it, and per layer per blob a BlobRef (shape, encoding, file offsets) for readBlobInto.
 * Memory stays small whatever the file size: only the bytes between payloads are read.
 */
export function indexCaffemodel(file: string): CaffemodelIndex {
  const size = fileSize(file);
  return { ...walkCaffemodel(file, refBlob, true), file, size };
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (e) {
    throw cannotRead(file, e);
  }
}

function walkCaffemodel<B>(
  fileOrBuffer: string | Uint8Array,
  readBlob: BlobReader<B>,
  indexOnly: boolean,
): { format: CaffemodelFormat; net: NetParameter; layers: WalkedLayer<B>[] } {
  const src = openSource(fileOrBuffer, indexOnly);
  try {
    rejectTextAndEmpty(src, 'caffemodel');
    try {
      return parseNet(src, readBlob);
    } catch (e) {
      if (e instanceof InputFileError && looksLikeBlobProto(fileOrBuffer, src.buf.length)) {
        throw new InputFileError(
          src.name,
          `${e.detail} -- it parses as a single BlobProto (a mean file?); read it with readBinaryproto`,
        );
      }
      throw e;
    }
  } finally {
    src.close();
  }
}

/** For the error message only: does the input parse as one BlobProto? (Small inputs only.) */
function looksLikeBlobProto(fileOrBuffer: string | Uint8Array, size: number): boolean {
  if (size > 64 << 20) return false;
  try {
    const b = readBinaryproto(fileOrBuffer);
    return b.data.length > 0;
  } catch {
    return false;
  }
}

/** Reads a binary BlobProto (e.g. a mean file made by compute_image_mean). */
export function readBinaryproto(fileOrBuffer: string | Uint8Array): BlobData {
  const src = openSource(fileOrBuffer);
  const ctx = new Context();
  ctx.what = 'BlobProto';
  try {
    rejectTextAndEmpty(src, 'BlobProto (.binaryproto)');
    src.lazy?.load(src.buf.length);
    checkWireTypesOutsideData(src, { start: 0, end: src.buf.length });
    return parseBlob(src, { start: 0, end: src.buf.length }, ctx);
  } catch (e) {
    fail(src, ctx, e);
  } finally {
    src.close();
  }
}

/** Garbage guard for a top-level BlobProto: its small fields must have the right wire types. */
function checkWireTypesOutsideData(src: Source, span: Span): void {
  const r = new WireReader(src.buf, span.start, span.end, src.lazy);
  while (!r.eof()) {
    const h = r.tag();
    if (h.field >= 1 && h.field <= 4) r.expect(h, WIRE_VARINT, 'BlobProto dimension');
    if (h.field === 7) r.expect(h, WIRE_LEN, 'BlobProto.shape');
    r.skip(h);
  }
}

/** Reads a binary BlobProtoVector (several blobs, e.g. a multi-input mean). */
export function readBlobProtoVector(fileOrBuffer: string | Uint8Array): BlobData[] {
  const src = openSource(fileOrBuffer);
  const ctx = new Context();
  ctx.what = 'BlobProtoVector';
  try {
    rejectTextAndEmpty(src, 'BlobProtoVector');
    src.lazy?.load(src.buf.length);
    const r = new WireReader(src.buf);
    const out: BlobData[] = [];
    while (!r.eof()) {
      const h = r.tag();
      if (h.field !== BLOBVEC_BLOBS) {
        r.skip(h);
        continue;
      }
      r.expect(h, WIRE_LEN, 'BlobProtoVector.blobs');
      const s = r.lengthDelimited('BlobProto');
      ctx.what = `BlobProtoVector blob ${out.length}`;
      checkWireTypesOutsideData(src, s);
      out.push(parseBlob(src, s, ctx));
    }
    return out;
  } catch (e) {
    fail(src, ctx, e);
  } finally {
    src.close();
  }
}
