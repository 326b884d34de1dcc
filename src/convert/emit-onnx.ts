/**
 * The ONNX emitter: a NetPlan -> an OnnxGraph in Caffe's own layout (NCHW), each layer converted
 * by its handler's `convert.onnx`, every Caffe blob a named value (the value after the last layer
 * writing it, as in a Caffe blob dump; earlier values of in-place blobs get derived names),
 * BatchNorm/Scale folded into the convolutions; the model's metadata as metadata_props.
 * Activations are not fused (ONNX has no fused convolution op): the plan keeps them as layers.
 */
import type { OnnxConvertContext } from '../layers';
import { OnnxGraph, SENET_METADATA_KEY } from '../onnx';
import type { ModelMetadata } from '../model-metadata';
import type { WeightSource } from '../tfgraph';
import type { Emitter, EmitProgress, EmitResult } from './emitter';
import { FileBlob } from './feed';
import type { NetPlan } from './plan';
import { walkPlan, type TargetNames } from './walk-plan';

export interface OnnxEmitResult extends EmitResult {
  graph: OnnxGraph;
  /** Caffe blob name -> ONNX value name (equal unless an in-place blob's earlier value). */
  blobs: Map<string, string>;
}

/** The ONNX emitter; `graphName` names the graph (the net's name, or 'net'). */
export function onnxEmitter(graphName: string): Emitter<OnnxEmitResult> {
  return { target: 'onnx', fusesActivations: false, emit: (plan, onProgress) => emitOnnx(plan, graphName, onProgress) };
}

function emitOnnx(plan: NetPlan, graphName: string, onProgress?: (p: EmitProgress) => void): OnnxEmitResult {
  const g = new OnnxGraph(graphName);
  g.reserve(plan.lastWriter.keys());
  const names: TargetNames = { fresh: (base) => g.fresh(base), finalName: (blob) => (g.has(blob) ? g.fresh(`${blob}/value`) : blob) };
  const blobs = walkPlan<string>(plan, names, {
    input: (pl, name) => g.input(name, ['N', ...pl.shapes.outputShapes[0].slice(1)]),
    layer: (pl, base) => {
      const own = pl.blobs;
      const ctx: OnnxConvertContext = {
        ...base,
        g,
        weight: (k, fill): Float32Array | WeightSource => {
          const b = own[k];
          // Still in the caffemodel: read (and transformed) when the file is written.
          if (b instanceof FileBlob && !b.loaded) return b.deferred(fill ?? ((src, out) => out.set(src.subarray(0, out.length))));
          if (fill === undefined) return b.data;
          const out = new Float32Array(b.data.length);
          fill(b.data, out);
          return out;
        },
      };
      // The prepare stage checked that every layer's type converts to this target.
      return pl.handler!.convert!.onnx!(ctx);
    },
  }, onProgress);

  const shapeOf = new Map<string, number[]>();
  for (const pl of plan.layers) pl.shapes.tops.forEach((t, k) => shapeOf.set(t, pl.shapes.outputShapes[k]));
  for (const o of plan.outputs) g.output(blobs.get(o)!, ['N', ...(shapeOf.get(o) ?? []).slice(1)]);
  return { graph: g, blobs, inputName: blobs.get(plan.inputBlob)!, inputLayout: 'NCHW', tensorLayout: 'NCHW', blobToTensor: blobs };
}

/**
 * metadata_props for a model: the full ModelMetadata as JSON (what senet-caffe's runtime reads),
 * and plain keys for other tools: input, mean, scale, channel order, class order, class count.
 */
export function onnxMetadataProps(m: ModelMetadata, shapes: ReadonlyMap<string, readonly number[]>): Array<[string, string]> {
  const props: Array<[string, string]> = [[SENET_METADATA_KEY, JSON.stringify(m)]];
  props.push(['input', m.inputName], ['input_shape', m.caffeInputShape.join(',')], ['input_layout', 'NCHW']);
  const pre = m.preprocessing;
  if (pre?.mean !== undefined) props.push(['mean', pre.mean.join(',')]);
  if (pre?.scale !== undefined) props.push(['scale', String(pre.scale)]);
  if (pre?.channelOrder !== undefined) props.push(['channel_order', pre.channelOrder]);
  if (m.extra?.labelOrder !== undefined) props.push(['class_order', m.extra.labelOrder]);
  const out = shapes.get(m.outputNames[0]);
  if (out !== undefined && out.length >= 2 && out.slice(2).every((d) => d === 1)) props.push(['class_count', String(out[1])]);
  return props;
}
