import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Caffemodel } from '../../src/caffemodel';
import { type Tensor, referenceForward } from '../../src/reference';
import { convertNet, type ConvertNetOptions } from '../../src/convert';
import { initBackend, loadModel, runModel, type BackendName } from '../../src/runtime';
import type { NetParameter } from '../../src/schema';
import { writeGraphModel } from '../../src/tfgraph';

/** An NCHW float32 array with its shape (the reference forward pass's Tensor). */
export type Arr = Tensor;
/** Blobs by layer name, in Caffe's order. */
export type Weights = Map<string, Arr[]>;

/** Deterministic uniform values in [lo, hi) (xorshift32). */
export function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

/** Largest |a - b|; Infinity for different lengths or any NaN. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** The blob the test nets feed: the legacy input, else the first Input or data layer's top. */
function inputBlob(net: NetParameter): string {
  const name = net.input?.[0] ?? net.layer?.find((l) => l.type === 'Input' || (l.type ?? '').endsWith('Data'))?.top?.[0];
  if (name === undefined) throw new Error(`net '${net.name ?? ''}' has no input blob`);
  return name;
}

/** Caffe's TEST-phase forward of the net on `input` by the project's reference (src/reference). */
export function referenceBlobs(net: NetParameter, weights: Weights, input: Arr): Map<string, Arr> {
  return referenceForward(net, { inputs: { [inputBlob(net)]: input }, weights });
}

export function caffemodelOf(net: NetParameter, weights: Weights): Caffemodel {
  return {
    format: 'V2',
    net: { name: net.name },
    layers: [...weights].map(([name, blobs]) => ({
      name,
      type: net.layer?.find((l) => l.name === name)?.type ?? '',
      blobs: blobs.map((b) => ({ shape: b.shape, legacy: false, data: b.data })),
    })),
  };
}

let tmp: string | undefined;
let n = 0;
export function tmpDir(): string {
  tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), 'senet-convert-'));
  return path.join(tmp, `m${n++}`);
}
export function cleanTmp(): void {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
}

/**
 * Converts, writes, loads and runs; returns the fetched blobs (NCHW), the reference's and the max
 * abs difference per blob (divided by the blob's peak magnitude when above 1).
 */
export async function convertAndCompare(
  net: NetParameter,
  weights: Weights,
  input: Arr,
  blobs: string[],
  opts: { backend?: BackendName; extra?: Partial<ConvertNetOptions> } = {},
): Promise<{ worst: number; got: Record<string, Arr>; ref: Map<string, Arr>; diffs: Record<string, number> }> {
  await initBackend(opts.backend ?? 'cpu');
  const converted = convertNet({ net, weights: caffemodelOf(net, weights), phase: 'TEST', ...opts.extra });
  const dir = tmpDir();
  writeGraphModel(dir, converted.graph, { metadata: converted.metadata });
  const loaded = await loadModel(dir);
  const got = runModel(loaded, input, { outputs: blobs });
  const ref = referenceBlobs(net, weights, input);
  const diffs: Record<string, number> = {};
  let worst = 0;
  for (const b of blobs) {
    const r = ref.get(b)!;
    expect(got[b].shape).toEqual(r.shape);
    // Relative to the blob's magnitude when it exceeds 1 (float32 rounding scales with it).
    let peak = 1;
    for (const v of r.data) peak = Math.max(peak, Math.abs(v));
    diffs[b] = maxAbsDiff(got[b].data, r.data) / peak;
    worst = Math.max(worst, diffs[b]);
  }
  return { worst, got, ref, diffs };
}
