/**
 * Reading the blob values indexCaffemodel located, into memory the caller owns: a big model is
 * streamed blob by blob through reused buffers instead of being held (fresh memory is costly to
 * touch on some VMs, and a model-sized buffer doubles peak memory).
 */
import * as fs from 'fs';
import { cannotRead, openInput } from '../input-file';
import { InputFileError } from '../errors';
import type { BlobRef } from './types';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function readFully(fd: number, file: string, into: Uint8Array, position: number): void {
  let off = 0;
  try {
    while (off < into.length) {
      const n = fs.readSync(fd, into, off, Math.min(into.length - off, 0x40000000), position + off);
      if (n === 0) break;
      off += n;
    }
  } catch (e) {
    throw cannotRead(file, e);
  }
  if (off < into.length) throw new InputFileError(file, `file shrank while reading (ends before byte ${position + into.length})`);
}

/**
 * Reads the values of `ref` into `target` (its first ref.count values). A packed float payload is
 * read straight into `target`; other encodings go through `scratch` (grown when too small and
 * returned, so callers can keep reusing it).
 */
export function readBlobInto(fd: number, ref: BlobRef, target: Float32Array, scratch?: Uint8Array, file = 'caffemodel'): Uint8Array | undefined {
  if (target.length < ref.count) throw new RangeError(`target holds ${target.length} values, the blob has ${ref.count}`);
  const chunks = ref.chunks;
  if (chunks.length === 0) return scratch;
  if (ref.kind === 'f32' && chunks.length === 1 && LITTLE_ENDIAN) {
    readFully(fd, file, new Uint8Array(target.buffer, target.byteOffset, ref.count * 4), chunks[0].start);
    return scratch;
  }
  // Unpacked values or doubles: the span from the first value to the last, decoded piece by piece.
  const from = chunks[0].start;
  const len = chunks[chunks.length - 1].end - from;
  const buf = scratch !== undefined && scratch.length >= len ? scratch : new Uint8Array(len);
  readFully(fd, file, buf.subarray(0, len), from);
  const dv = new DataView(buf.buffer, buf.byteOffset, len);
  const step = ref.kind === 'f64' ? 8 : 4;
  let k = 0;
  for (const c of chunks) {
    for (let p = c.start - from; p < c.end - from; p += step) target[k++] = step === 8 ? dv.getFloat64(p, true) : dv.getFloat32(p, true);
  }
  return buf;
}

/** An open caffemodel file whose indexed blobs are read on demand, through reused buffers. */
export class PayloadReader {
  private readonly fd: number;
  private values = new Float32Array(0);
  private bytes: Uint8Array | undefined;

  constructor(readonly file: string) {
    this.fd = openInput(file);
  }

  /** The blob's values into `target`. */
  readInto(ref: BlobRef, target: Float32Array): void {
    this.bytes = readBlobInto(this.fd, ref, target, this.bytes, this.file);
  }

  /** The blob's values in a buffer this reader reuses: valid until its next read. */
  readShared(ref: BlobRef): Float32Array {
    if (this.values.length < ref.count) this.values = new Float32Array(ref.count);
    const out = this.values.subarray(0, ref.count);
    this.readInto(ref, out);
    return out;
  }

  /** The blob's values in fresh memory of their own. */
  readNew(ref: BlobRef): Float32Array {
    const out = new Float32Array(ref.count);
    this.readInto(ref, out);
    return out;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
