/**
 * The slices of `senet eval --shard K/N`: the K-th of N contiguous slices of the sorted image
 * list, the same on every machine. What the slices' results are and how they merge is
 * eval-shard.ts.
 */
import { UsageError } from '../errors';

/** Images [start, end) of shard `index` (1-based) of `count` over `total` images. */
export function shardRange(total: number, index: number, count: number): { start: number; end: number } {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 1 || index > count) {
    throw new UsageError(`shard ${index}/${count}: K/N needs 1 <= K <= N`);
  }
  return { start: Math.floor(((index - 1) * total) / count), end: Math.floor((index * total) / count) };
}

/** Parses `K/N`. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null) throw new UsageError(`--shard '${text}' must be K/N, e.g. 2/8 (the 2nd of 8 slices)`);
  const s = { index: Number(m[1]), count: Number(m[2]) };
  shardRange(0, s.index, s.count);
  return s;
}
