/**
 * What a net computes at inference, as one hash: the TEST net's layer list without names, blob
 * names (blobs are numbered by first use), input shapes and training-only fields (ParamSpecs,
 * fillers, rules). The SENet release policy (release.ts) recognises the official architectures by it.
 */
import { createHash } from 'crypto';
import { layerRole } from '../layers';
import type { LayerParameter } from '../schema';

/** Fields of a layer that say nothing about what it computes at inference. */
const NOT_STRUCTURE = new Set(['name', 'bottom', 'top', 'include', 'exclude', 'phase', 'param', 'loss_weight', 'propagate_down', 'blobs']);

/** A JSON value with object keys sorted and training-only parts (fillers) left out. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined || k.endsWith('_filler')) continue;
    out[k] = canonical(v);
  }
  return out;
}

/** A hash of the layer list's structure (see the top of this file); layers as in the TEST net. */
export function structureFingerprint(layers: readonly LayerParameter[]): string {
  const ids = new Map<string, number>();
  const id = (blob: string): number => {
    let n = ids.get(blob);
    if (n === undefined) ids.set(blob, (n = ids.size));
    return n;
  };
  const h = createHash('sha256');
  for (const l of layers) {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(l)) if (!NOT_STRUCTURE.has(k)) fields[k] = v;
    // The input's size and batch are the caller's (--input-shape); the rest of the net is the same.
    if (layerRole(l.type ?? '') === 'input') delete fields.input_param;
    h.update(JSON.stringify([(l.bottom ?? []).map(id), (l.top ?? []).map(id), canonical(fields)]));
    h.update('\n');
  }
  return h.digest('hex');
}

/** Height of a square 4-axis Input, when the net has one. */
export function squareInputSize(layers: readonly LayerParameter[]): number | undefined {
  const dims = layers.find((l) => layerRole(l.type ?? '') === 'input')?.input_param?.shape?.[0]?.dim?.map(Number);
  return dims !== undefined && dims.length === 4 && dims[2] === dims[3] && dims[2] > 0 ? dims[2] : undefined;
}
