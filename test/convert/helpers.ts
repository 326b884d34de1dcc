import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Caffemodel } from '../../src/caffemodel';
import { convertNet, type ConvertNetOptions } from '../../src/convert';
import { initBackend, loadModel, runModel, type BackendName } from '../../src/runtime';
import type { NetParameter } from '../../src/schema';
import { writeGraphModel } from '../../src/tfgraph';
import { type Arr, type Weights, maxAbsDiff, referenceForward } from './reference';

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
  const ref = referenceForward(net, weights, input);
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
