/**
 * Writing binary caffemodels the way Caffe's Net::ToProto + WriteProtoToBinaryFile do: every field
 * in field-number order, each layer with its parameters and its blobs (data packed, then shape).
 *
 * The file is streamed: small headers come from protobufjs, blob payloads are written straight from
 * the Float32Array bytes. It goes to a temporary file next to the target, renamed into place.
 */
import * as fs from 'fs';
import { writeFileAtomicWith } from '../atomic-write';
import { SenetError, WeightsError } from '../errors';
import type { LayerParameter, V1LayerParameter } from '../schema';
import { encodePlain } from './schema-link';
import { BlobData, LayerWeights, NetParameter } from './types';
import { encodeLenHeader, putVarint, splitFields, WIRE_VARINT } from './wire';

export interface WriteCaffemodelOptions {
  /** 'V2' (default): NetParameter.layer (100). 'V1': NetParameter.layers (2), V1LayerParameter. */
  format?: 'V2' | 'V1';
  /** The command's inputs, which the output must not replace. */
  inputs?: readonly string[];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Buffered sequential writer over a file descriptor; large payloads bypass the buffer. */
class StreamOut {
  private buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  written = 0;

  constructor(private readonly fd: number) {}

  write(bytes: Uint8Array): void {
    this.written += bytes.length;
    if (bytes.length > this.buf.length - this.used) {
      this.flush();
      if (bytes.length >= this.buf.length >> 2) {
        writeAll(this.fd, bytes);
        return;
      }
    }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  flush(): void {
    if (this.used > 0) writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

/** The payload bytes of a float array, little-endian, without copying on little-endian hosts. */
function floatBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i], true);
  return out;
}

/** One blob as a sequence of byte pieces (headers small, payload a view). */
function encodeBlob(blob: BlobData, layer: string, index: number): Uint8Array[] {
  const count = blob.shape.reduce((a, b) => a * b, 1);
  if (blob.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new WeightsError(layer, index, `invalid shape [${blob.shape.join(', ')}]`);
  }
  if (count !== blob.data.length) {
    throw new WeightsError(layer, index, `shape [${blob.shape.join(', ')}] holds ${count} values but data has ${blob.data.length}`);
  }
  const pieces: Uint8Array[] = [];
  if (blob.legacy) {
    if (blob.shape.length !== 4) {
      throw new WeightsError(layer, index, `a legacy blob needs 4 axes (num, channels, height, width), got [${blob.shape.join(', ')}]`);
    }
    const hdr = new Uint8Array(4 * 11);
    let p = 0;
    for (let f = 0; f < 4; f++) {
      p = putVarint(hdr, p, (f + 1) * 8 + WIRE_VARINT);
      p = putVarint(hdr, p, blob.shape[f]);
    }
    pieces.push(hdr.subarray(0, p));
  }
  // Field order as C++ serializes: data (5) before shape (7); empty packed fields are omitted.
  if (blob.data.length > 0) {
    pieces.push(encodeLenHeader(5, blob.data.byteLength), floatBytes(blob.data));
  }
  if (!blob.legacy && blob.shape.length > 0) {
    const shape = encodePlain('BlobShape', { dim: blob.shape });
    pieces.push(encodeLenHeader(7, shape.length), shape);
  }
  return pieces;
}

function piecesLength(pieces: Uint8Array[]): number {
  let n = 0;
  for (const p of pieces) n += p.length;
  return n;
}

/**
 * A layer message as pieces: its protobufjs-encoded parameters with the blob fields inserted where
 * a field-number-ordered serializer puts them.
 */
function encodeLayer(typeName: 'LayerParameter' | 'V1LayerParameter', layer: object, blobField: number, blobs: BlobData[], name: string): Uint8Array[] {
  const rest: Record<string, unknown> = { ...(layer as Record<string, unknown>) };
  delete rest.blobs;
  const params = encodePlain(typeName, rest);
  const fields = splitFields(params);
  const cut = fields.findIndex((f) => f.field > blobField);
  const at = cut < 0 ? params.length : fields[cut].span.start;
  const pieces: Uint8Array[] = [params.subarray(0, at)];
  blobs.forEach((b, j) => {
    const blobPieces = encodeBlob(b, name, j);
    pieces.push(encodeLenHeader(blobField, piecesLength(blobPieces)), ...blobPieces);
  });
  pieces.push(params.subarray(at));
  return pieces;
}

/**
 * Writes `net` (its structure: V2 `layer` or, with format 'V1', V1 `layers`) with `weights` as a
 * binary caffemodel. Weights are matched to layers by name; layers without an entry get no blobs,
 * and weights naming no layer of the net are an error. Written atomically (temp file + rename).
 */
export function writeCaffemodel(file: string, net: NetParameter, weights: LayerWeights[], opts: WriteCaffemodelOptions = {}): void {
  const format = opts.format ?? 'V2';
  const layerField = format === 'V2' ? 100 : 2;
  const blobField = format === 'V2' ? 7 : 6;
  const typeName = format === 'V2' ? 'LayerParameter' : 'V1LayerParameter';
  const layers: Array<LayerParameter | V1LayerParameter> = (format === 'V2' ? net.layer : net.layers) ?? [];
  const other = format === 'V2' ? net.layers : net.layer;
  if (other !== undefined && other.length > 0) {
    throw new SenetError(`${file}: cannot write a ${format} caffemodel from a net that has ${format === 'V2' ? "V1 'layers'" : "V2 'layer'"} (upgrade or choose the format)`);
  }

  const byName = new Map<string, LayerWeights>();
  for (const w of weights) {
    if (byName.has(w.name)) throw new WeightsError(w.name, undefined, 'appears twice in the weights');
    byName.set(w.name, w);
  }
  const netNames = new Set(layers.map((l) => l.name ?? ''));
  for (const w of weights) {
    if (!netNames.has(w.name)) throw new WeightsError(w.name, undefined, 'has weights but is not a layer of the net');
  }

  // Net-level fields other than the layers, split so the layers go in at their field-number place.
  const header: Record<string, unknown> = { ...(net as Record<string, unknown>) };
  delete header.layer;
  delete header.layers;
  const headerBytes = encodePlain('NetParameter', header);
  const headerFields = splitFields(headerBytes);
  const cutIdx = headerFields.findIndex((f) => f.field > layerField);
  const cutAt = cutIdx < 0 ? headerBytes.length : headerFields[cutIdx].span.start;

  writeFileAtomicWith(file, (fd) => {
    const out = new StreamOut(fd);
    out.write(headerBytes.subarray(0, cutAt));
    for (const layer of layers) {
      const name = layer.name ?? '';
      const pieces = encodeLayer(typeName, layer, blobField, byName.get(name)?.blobs ?? [], name);
      out.write(encodeLenHeader(layerField, piecesLength(pieces)));
      for (const p of pieces) out.write(p);
    }
    out.write(headerBytes.subarray(cutAt));
    out.flush();
    fs.fsyncSync(fd);
  }, { inputs: opts.inputs });
}

/**
 * Encodes a V1 caffemodel (NetParameter.layers, enum types) -- Caffe's pre-2015 format, for tests
 * of the V1 read path and for tools that must feed old Caffe builds.
 */
export function writeCaffemodelV1(file: string, net: NetParameter, weights: LayerWeights[]): void {
  writeCaffemodel(file, net, weights, { format: 'V1' });
}

/** Writes one BlobProto (a mean file), atomically. */
export function writeBinaryproto(file: string, blob: BlobData): void {
  const pieces = encodeBlob(blob, '<binaryproto>', 0);
  writeFileAtomicWith(file, (fd) => {
    for (const p of pieces) writeAll(fd, p);
    fs.fsyncSync(fd);
  });
}
