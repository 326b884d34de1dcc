/**
 * ConvertContext.rewriteBlob, shared by every emitter. Owning the weights, a blob is overwritten
 * with its converted form through one reused scratch buffer: no fresh memory per weight (first
 * touches of fresh memory dominate on some VMs) and no second copy of the model. Blobs whose
 * memory more than one layer sees are never overwritten.
 */
import type { LayerBlob } from '../layers';
import type { WeightSource } from '../tfgraph';
import { FileBlob } from './feed';

export type Fill = (src: Float32Array, out: Float32Array) => void;

/** A weight derived from `blob` by `fill`: host values, or (still in the file) a WeightSource filled at write time. */
export type BlobRewriter = (blob: LayerBlob, fill: Fill) => Float32Array | WeightSource;

export function blobRewriter(consume: boolean, weights: ReadonlyMap<string, readonly LayerBlob[]>): BlobRewriter {
  const fresh = (blob: LayerBlob, fill: Fill): Float32Array => {
    const out = new Float32Array(blob.data.length);
    fill(blob.data, out);
    return out;
  };
  // Still in the file: transformed when written, straight into the shard writer's buffer.
  const deferred = (blob: LayerBlob): blob is FileBlob => blob instanceof FileBlob && !blob.loaded;
  if (!consume) return (blob, fill) => (deferred(blob) ? blob.deferred(fill) : fresh(blob, fill));
  const seen = new Set<Float32Array>();
  const shared = new Set<Float32Array>();
  for (const blobs of weights.values()) {
    for (const b of blobs) if (!(b instanceof FileBlob)) (seen.has(b.data) ? shared : seen).add(b.data);
  }
  const done = new Set<Float32Array>();
  let scratch = new Float32Array(0);
  return (blob, fill) => {
    if (deferred(blob)) return blob.deferred(fill);
    // Blobs read from the file on demand are the converter's own, but small: copy them.
    if (blob instanceof FileBlob || shared.has(blob.data)) return fresh(blob, fill);
    // A second request would convert the converted data; handlers ask once per blob.
    if (done.has(blob.data)) throw new Error('internal: a weight blob was rewritten twice');
    done.add(blob.data);
    const n = blob.data.length;
    if (scratch.length < n) scratch = new Float32Array(n);
    const out = scratch.subarray(0, n);
    fill(blob.data, out);
    blob.data.set(out);
    return blob.data;
  };
}
