/**
 * The walk every emitter makes over a NetPlan: layers in order, progress once per layer, absorbed
 * layers skipped, the Input layer made the graph input, and one naming rule for tensors, so that
 * every target names a Caffe blob the same way: the value after its last writer carries the blob's
 * name, earlier values of in-place blobs and internal tensors get names derived from the layer.
 */
import type { LayerConvertBase } from '../layers';
import type { EmitProgress } from './emitter';
import type { NetPlan, PlannedLayer } from './plan';

/** The target's name space: its rules for unique tensor names. */
export interface TargetNames {
  /** A name not taken yet, derived from `base`. */
  fresh(base: string): string;
  /** The name a blob's final value gets: the blob's own, or a derived one if taken. */
  finalName(blob: string): string;
}

export interface PlanVisitor<T> {
  /** The Input layer: make the graph input `name`. */
  input(pl: PlannedLayer, name: string): T;
  /** A converted layer: what every target's context holds in, its outputs (by top) out. */
  layer(pl: PlannedLayer, base: LayerConvertBase<T>): readonly T[];
}

/** Walks `plan` with `visit`; returns every blob's tensor (its value after its last writer). */
export function walkPlan<T>(plan: NetPlan, names: TargetNames, visit: PlanVisitor<T>, onProgress?: (p: EmitProgress) => void): Map<string, T> {
  const { lastWriter } = plan;
  const blobs = new Map<string, T>();
  const total = plan.layers.length;
  plan.layers.forEach((pl, i) => {
    const l = pl.shapes;
    onProgress?.({ done: i, total, layer: l.name });
    if (pl.absorbedInto !== undefined) return;
    if (pl.handler === undefined) {
      const top = l.tops[0];
      blobs.set(top, visit.input(pl, lastWriter.get(top) === i ? names.finalName(top) : names.fresh(`${top}/input`)));
      return;
    }
    const outNames = new Map<number, string>();
    const base: LayerConvertBase<T> = {
      layer: pl.param,
      inputs: l.bottoms.map((b) => blobs.get(b)!),
      inputShapes: l.inputShapes,
      outputShapes: l.outputShapes,
      blobs: pl.blobs,
      ...(pl.fold !== undefined ? { fold: pl.fold.affine } : {}),
      name: (part) => names.fresh(`${l.name}/${part}`),
      outName: (k) => {
        let n = outNames.get(k);
        if (n === undefined) {
          const top = l.tops[k];
          n = lastWriter.get(top) === pl.groupEnd ? names.finalName(top) : names.fresh(`${l.name}/${l.tops.length === 1 ? 'out' : `out${k}`}`);
          outNames.set(k, n);
        }
        return n;
      },
    };
    const outs = visit.layer(pl, base);
    l.tops.forEach((t, k) => blobs.set(t, outs[k]));
  });
  onProgress?.({ done: total, total, layer: '' });
  return blobs;
}
