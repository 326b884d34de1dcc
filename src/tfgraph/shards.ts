/**
 * Streaming the weights into the shard files: the concatenation of all weights (4-byte values,
 * little-endian) cut every `shardBytes`. Nothing model-sized is ever allocated: small weights are
 * gathered in one reused staging buffer, WeightSources are produced straight into it, and big
 * in-memory weights are written from their own memory. (Fresh memory is slow to touch on some
 * VMs; a joined copy of a 460 MB model cost more than the conversion itself.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { SenetError } from '../errors';
import { GraphWeight, isWeightSource, weightByteLength } from './graph-builder';

// In-memory weights at least this big are written from their own memory, not copied.
const DIRECT_BYTES = 65536;

export function checkShardBytes(shardBytes: number): void {
  if (!Number.isInteger(shardBytes) || shardBytes < 4 || shardBytes % 4 !== 0) {
    throw new SenetError(`shard size must be a positive multiple of 4 bytes, got ${shardBytes}`);
  }
}

/** Number of shard files for `total` weight bytes (one, possibly empty, at least). */
export function shardCount(total: number, shardBytes: number): number {
  return Math.max(1, Math.ceil(total / shardBytes));
}

/** Appends bytes to the shard files in order, opening the next file when one is full. */
class ShardFiles {
  private index = -1;
  private fd: number | undefined;
  private room = 0;

  constructor(
    private readonly dir: string,
    private readonly paths: readonly string[],
    private readonly shardBytes: number,
  ) {}

  write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      if (this.room === 0) this.next();
      const n = Math.min(this.room, bytes.length - off);
      let done = 0;
      while (done < n) done += fs.writeSync(this.fd!, bytes, off + done, n - done);
      off += n;
      this.room -= n;
    }
  }

  /** Closes the last file, creating any not written yet (the one empty shard of a weightless graph). */
  close(): void {
    while (this.index < this.paths.length - 1) this.next();
    this.closeCurrent();
  }

  private next(): void {
    this.closeCurrent();
    this.index++;
    if (this.index >= this.paths.length) throw new Error('internal: more weight bytes than the shards planned');
    this.fd = fs.openSync(path.join(this.dir, this.paths[this.index]), 'w');
    this.room = this.shardBytes;
  }

  private closeCurrent(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Writes the shards `paths` (in `dir`) of `weights`, in order; see the module comment. A generator:
 * it pauses after each shard-sized piece, so an asynchronous caller can let signals in between.
 */
export function* shardWriter(dir: string, paths: readonly string[], weights: readonly GraphWeight[], shardBytes: number): Generator<void, void, void> {
  const files = new ShardFiles(dir, paths, shardBytes);
  let cap = shardBytes;
  for (const w of weights) if (isWeightSource(w.data)) cap = Math.max(cap, weightByteLength(w));
  const stage = Buffer.allocUnsafeSlow(cap);
  let used = 0;
  const flush = (): void => {
    files.write(stage.subarray(0, used));
    used = 0;
  };
  try {
    for (const w of weights) {
      const n = weightByteLength(w);
      const d = w.data;
      if (isWeightSource(d)) {
        if (used + n > cap) {
          flush();
          yield;
        }
        d.writeInto(new Float32Array(stage.buffer, stage.byteOffset + used, d.length));
        used += n;
        continue;
      }
      // Typed arrays are host-endian; every platform Node runs on is little-endian, as TF.js expects.
      const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      if (n >= DIRECT_BYTES || n > cap) {
        flush();
        for (let off = 0; off < bytes.length; off += shardBytes) {
          files.write(bytes.subarray(off, Math.min(bytes.length, off + shardBytes)));
          yield;
        }
        continue;
      }
      if (used + n > cap) {
        flush();
        yield;
      }
      stage.set(bytes, used);
      used += n;
    }
    flush();
  } finally {
    files.close();
  }
}

/** shardWriter run to the end at once. */
export function writeShards(dir: string, paths: readonly string[], weights: readonly GraphWeight[], shardBytes: number): void {
  for (const _ of shardWriter(dir, paths, weights, shardBytes)) {
    // each step writes one piece
  }
}
