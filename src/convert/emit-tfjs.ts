/**
 * The TF.js emitter: a NetPlan -> a GraphBuilder (NHWC inside, see layers/convert-api.ts), each
 * layer converted by its handler's `convert.tfjs`, every Caffe blob addressable by its name (the
 * node of the blob's last writer carries it).
 */
import type { ConvertContext } from '../layers';
import { GraphBuilder, type TensorRef } from '../tfgraph';
import type { Emitter, EmitProgress, EmitResult } from './emitter';
import { layoutHelpers } from './layout';
import type { NetPlan } from './plan';
import { walkPlan } from './walk-plan';
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

function emitTfjs(plan: NetPlan, onProgress?: (p: EmitProgress) => void): TfjsEmitResult {
  const reserved = new Set([...plan.lastWriter.keys()].map(sanitize));
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

  const blobs = walkPlan<TensorRef>(plan, { fresh, finalName }, {
    input: (pl, name) => {
      const s = pl.shapes.outputShapes[0];
      return g.placeholder(name, s.length === 4 ? [-1, s[2], s[3], s[1]] : [-1, ...s.slice(1)]);
    },
    layer: (pl, base) => {
      const ctx: ConvertContext = {
        ...base,
        g,
        ...(pl.activation !== undefined ? { activation: pl.activation.fn } : {}),
        layout,
        rewriteBlob: (k, fill) => plan.rewriteBlob(pl.blobs[k], fill),
      };
      // The prepare stage checked that every layer's type converts to this target.
      return pl.handler!.convert!.tfjs!(ctx);
    },
  }, onProgress);

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
