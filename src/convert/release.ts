/**
 * The SENet release policy: the official caffemodels output the ILSVRC2012 devkit class order
 * ('senet') and expect BGR input in [0, 255] minus the mean 104/117/123 (stated only in a comment
 * of the official prototxts). It applies to a net recognised as one of the seven official
 * architectures by its structure, or when the caller says so; never by the net's name.
 *
 * Structure: the TEST net's layer list without names, blob names (blobs are numbered by first
 * use), input shapes and training-only fields (ParamSpecs, fillers, rules). The fingerprints of
 * the official architectures come from their generators (src/archs), in both flavours.
 */
import { createHash } from 'crypto';
import { resolveOptions, senetArchs, type Flavor } from '../archs';
import type { LabelOrder } from '../imagenet';
import { layerRole } from '../layers';
import type { LayerParameter } from '../schema';
import type { PreprocessingInfo } from '../model-metadata';

export interface ReleasePolicy {
  /** Class order of the release's caffemodels. */
  readonly labels: LabelOrder;
  readonly preprocessing: Readonly<Required<Pick<PreprocessingInfo, 'mean' | 'channelOrder' | 'inputRange'>>>;
}

export const SENET_RELEASE: ReleasePolicy = {
  labels: 'senet',
  preprocessing: { mean: [104, 117, 123], channelOrder: 'BGR', inputRange: [0, 255] },
};

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

const FLAVORS: readonly Flavor[] = ['official', 'bvlc'];
/** Input size (undefined: the release's) -> (fingerprint -> architecture id), made on first use. */
const official = new Map<number | undefined, Map<string, string>>();
const officialLayerCounts = new Set<number>();

/** The official nets generated at `inputSize` (their generators adapt the last pooling), both flavours, deploy phase. */
function officialFingerprints(inputSize: number | undefined): Map<string, string> {
  let found = official.get(inputSize);
  if (found === undefined) {
    found = new Map();
    for (const entry of senetArchs) {
      for (const flavor of FLAVORS) {
        const net = entry.build(resolveOptions(entry, { flavor, phase: 'deploy', inputSize })).build();
        found.set(structureFingerprint(net.layer ?? []), entry.id);
        officialLayerCounts.add(net.layer?.length ?? 0);
      }
    }
    official.set(inputSize, found);
  }
  return found;
}

/** Height of a square 4-axis Input, when the net has one. */
function squareInputSize(layers: readonly LayerParameter[]): number | undefined {
  const dims = layers.find((l) => layerRole(l.type ?? '') === 'input')?.input_param?.shape?.[0]?.dim?.map(Number);
  return dims !== undefined && dims.length === 4 && dims[2] === dims[3] && dims[2] > 0 ? dims[2] : undefined;
}

/**
 * The official architecture (its generator id) whose structure the TEST-net layers have, if any:
 * as released (224 x 224), or as its generator makes it for the net's own square input size.
 */
export function officialArchitecture(layers: readonly LayerParameter[]): string | undefined {
  const fp = structureFingerprint(layers);
  const released = officialFingerprints(undefined);
  if (released.has(fp)) return released.get(fp);
  const size = squareInputSize(layers);
  // The input size changes parameters, never the layer count: most nets need no generating.
  if (size === undefined || !officialLayerCounts.has(layers.length)) return undefined;
  return officialFingerprints(size).get(fp);
}

/**
 * The release policy for a net: `explicit` true applies it, false never; undefined applies it
 * when the net's structure is an official architecture's. Every official architecture ends in a
 * 1000-way ImageNet classifier: a net without one (`imagenetClassifier` false) is not compared,
 * which spares generating the official nets (about a second, once per process).
 */
export function releasePolicyFor(layers: readonly LayerParameter[], explicit: boolean | undefined, imagenetClassifier = true): ReleasePolicy | undefined {
  const applies = explicit ?? (imagenetClassifier && officialArchitecture(layers) !== undefined);
  return applies ? SENET_RELEASE : undefined;
}
