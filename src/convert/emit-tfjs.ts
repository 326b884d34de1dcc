/**
 * The TF.js emitter: a NetPlan -> a GraphBuilder (NHWC inside, see layers/convert-api.ts), each
 * layer converted by its handler's `convert.tfjs`, every Caffe blob addressable by its name (the
 * node of the blob's last writer carries it).
 */
import type { ConvertContext } from '../layers';
import { GraphBuilder, type TensorRef } from '../tfgraph';
import type { Emitter, EmitResult } from './emitter';
import { layoutHelpers } from './layout';
import type { NetPlan } from './plan';
import { sanitize } from './prepare';

export interface TfjsEmitResult extends EmitResult {
  graph: GraphBuilder;
  /** Caffe blob name -> graph tensor. */
  blobs: Map<string, TensorRef>;
}

export const tfjsEmitter: Emitter<TfjsEmitResult> = {
  target: 'tfjs',
  fusesActivations: true,
  emit: emitTfjs,
};

function emitTfjs(plan: NetPlan, onProgress?: (p: { done: number; total: number; layer: string }) => void): TfjsEmitResult {
  const { lastWriter } = plan;
  const reserved = new Set([...lastWriter.keys()].map(sanitize));
  const g = new GraphBuilder();
  const layout = layoutHelpers(g);
  const fresh = (base: string): string => {
    const b = sanitize(base);
    let n = b;
    for (let i = 1; g.hasNode(n) || reserved.has(n); i++) n = `${b}_${i}`;
    return n;
  };
  const finalName = (blob: string): string => {
    const n = sanitize(blob);
    return g.hasNode(n) ? fresh(`${n}/value`) : n;
  };

  const blobs = new Map<string, TensorRef>();
  const total = plan.layers.length;
  plan.layers.forEach((pl, i) => {
    const l = pl.shapes;
    onProgress?.({ done: i, total, layer: l.name });
    if (pl.absorbedInto !== undefined) return;
    if (pl.handler === undefined) {
      const s = l.outputShapes[0];
      const tfShape = s.length === 4 ? [-1, s[2], s[3], s[1]] : [-1, ...s.slice(1)];
      const name = lastWriter.get(l.tops[0]) === i ? finalName(l.tops[0]) : fresh(`${l.tops[0]}/input`);
      blobs.set(l.tops[0], g.placeholder(name, tfShape));
      return;
    }
    const outNames = new Map<number, string>();
    const own = pl.blobs;
    const ctx: ConvertContext = {
      g,
      layer: pl.param,
      inputs: l.bottoms.map((b) => blobs.get(b)!),
      inputShapes: l.inputShapes,
      outputShapes: l.outputShapes,
      blobs: own,
      ...(pl.fold !== undefined ? { fold: pl.fold.affine } : {}),
      ...(pl.activation !== undefined ? { activation: pl.activation.fn } : {}),
      layout,
      rewriteBlob: (k, fill) => plan.rewriteBlob(own[k], fill),
      name: (part) => fresh(`${l.name}/${part}`),
      outName: (k) => {
        let n = outNames.get(k);
        if (n === undefined) {
          const top = l.tops[k];
          n = lastWriter.get(top) === pl.groupEnd ? finalName(top) : fresh(`${l.name}/${l.tops.length === 1 ? 'out' : `out${k}`}`);
          outNames.set(k, n);
        }
        return n;
      },
    };
    // The prepare stage checked that every layer's type converts to this target.
    const outs = pl.handler.convert!.tfjs!(ctx);
    l.tops.forEach((t, k) => blobs.set(t, outs[k]));
  });
  onProgress?.({ done: total, total, layer: '' });

  for (const o of plan.outputs) g.output(blobs.get(o)!, sanitize(o));
  const blobToTensor = new Map<string, string>();
  for (const [name, t] of blobs) blobToTensor.set(name, t.ref);
  return {
    graph: g,
    blobs,
    inputName: blobs.get(plan.inputBlob)!.node,
    inputLayout: plan.inputShape.length === 4 ? 'NHWC' : 'NCHW',
    tensorLayout: 'NHWC',
    blobToTensor,
  };
}
