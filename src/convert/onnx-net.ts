/**
 * The ONNX emitter: a prepared net (see prepareNet) -> an OnnxGraph in Caffe's own layout (NCHW),
 * every Caffe blob a named value (the value after the last layer writing it, as in a Caffe blob
 * dump; earlier values of in-place blobs get derived names), BatchNorm/Scale folded into the
 * convolutions, and the model's metadata as metadata_props.
 */
import { layerHandlers, type LayerShapes, type OnnxConvertContext } from '../layers';
import { OnnxGraph, SENET_METADATA_KEY } from '../onnx';
import type { ModelMetadata, WeightSource } from '../tfgraph';
import { FileBlob } from './feed';
import { caffeBlobOrder, foldFor, prepareNet, type ConvertNetOptions, type ConvertedNet } from './net';

export interface OnnxConvertedNet {
  graph: OnnxGraph;
  /** The same self-description as a GraphModel's, with NCHW layouts. */
  metadata: ModelMetadata;
  layers: LayerShapes[];
  /** Caffe blob name -> ONNX value name (equal unless an in-place blob's earlier value). */
  blobs: Map<string, string>;
  folded: string[];
  labels?: ConvertedNet['labels'];
}

export function convertNetToOnnx(opts: ConvertNetOptions): OnnxConvertedNet {
  const p = prepareNet(opts, 'onnx');
  const { layers, params, weights, lastWriter } = p;
  const g = new OnnxGraph(p.net.name !== undefined && p.net.name !== '' ? p.net.name : 'net');
  g.reserve(lastWriter.keys());
  const foldedInto = new Map<number, number>();
  p.folds.forEach((run, i) => run.forEach((j) => foldedInto.set(j, i)));
  const finalName = (blob: string): string => (g.has(blob) ? g.fresh(`${blob}/value`) : blob);

  const blobs = new Map<string, string>();
  const folded: string[] = [];
  const total = layers.length;
  layers.forEach((l, i) => {
    opts.onProgress?.({ done: i, total, layer: l.name });
    if (foldedInto.has(i)) return;
    if (l.type === 'Input') {
      const top = l.tops[0];
      const name = lastWriter.get(top) === i ? finalName(top) : g.fresh(`${top}/input`);
      blobs.set(top, g.input(name, ['N', ...l.outputShapes[0].slice(1)]));
      return;
    }
    const run = p.folds.get(i) ?? [];
    const groupEnd = run.length > 0 ? run[run.length - 1] : i;
    const own = weights.get(l.name) ?? [];
    const fold = foldFor(p, i);
    const outNames = new Map<number, string>();
    const ctx: OnnxConvertContext = {
      g,
      layer: params[i],
      inputs: l.bottoms.map((b) => blobs.get(b)!),
      inputShapes: l.inputShapes,
      outputShapes: l.outputShapes,
      blobs: own,
      ...(fold !== undefined ? { fold } : {}),
      weight: (k, fill): Float32Array | WeightSource => {
        const b = own[k];
        // Still in the caffemodel: read (and transformed) when the file is written.
        if (b instanceof FileBlob && !b.loaded) return b.deferred(fill ?? ((src, out) => out.set(src.subarray(0, out.length))));
        if (fill === undefined) return b.data;
        const out = new Float32Array(b.data.length);
        fill(b.data, out);
        return out;
      },
      name: (part) => g.fresh(`${l.name}/${part}`),
      outName: (k) => {
        let n = outNames.get(k);
        if (n === undefined) {
          const top = l.tops[k];
          n = lastWriter.get(top) === groupEnd ? finalName(top) : g.fresh(`${l.name}/${l.tops.length === 1 ? 'out' : `out${k}`}`);
          outNames.set(k, n);
        }
        return n;
      },
    };
    const outs = layerHandlers.get(l.type)!.onnx!(ctx);
    folded.push(...run.map((j) => layers[j].name));
    l.tops.forEach((t, k) => blobs.set(t, outs[k]));
  });
  opts.onProgress?.({ done: total, total, layer: '' });

  const shapeOf = new Map<string, number[]>();
  for (const l of layers) l.tops.forEach((t, k) => shapeOf.set(t, l.outputShapes[k]));
  for (const o of p.outputs) g.output(blobs.get(o)!, ['N', ...(shapeOf.get(o) ?? []).slice(1)]);

  const blobToTensor: Record<string, string> = {};
  for (const [name, v] of blobs) blobToTensor[name] = v;
  const metadata: ModelMetadata = {
    senetMetadataVersion: 1,
    inputName: blobs.get(p.inputBlob)!,
    inputLayout: 'NCHW',
    inputShape: [-1, ...p.inShape.slice(1)],
    tensorLayout: 'NCHW',
    outputNames: p.outputs,
    blobToTensor,
    extra: { blobOrder: caffeBlobOrder(layers).filter((b) => blobs.has(b)) },
  };
  if (p.labels !== undefined) metadata.extra!.labelOrder = p.labels.to;
  if (p.preprocessing !== undefined) metadata.preprocessing = p.preprocessing;
  return { graph: g, metadata, layers, blobs, folded, ...(p.labels !== undefined ? { labels: p.labels } : {}) };
}

/**
 * metadata_props for a model: the full ModelMetadata as JSON (what senet-caffe's runtime reads),
 * and plain keys for other tools: input, mean, scale, channel order, class order, class count.
 */
export function onnxMetadataProps(m: ModelMetadata, shapes: ReadonlyMap<string, readonly number[]>): Array<[string, string]> {
  const props: Array<[string, string]> = [[SENET_METADATA_KEY, JSON.stringify(m)]];
  props.push(['input', m.inputName], ['input_shape', m.inputShape.join(',')], ['input_layout', 'NCHW']);
  const pre = m.preprocessing;
  if (pre?.mean !== undefined) props.push(['mean', pre.mean.join(',')]);
  if (pre?.scale !== undefined) props.push(['scale', String(pre.scale)]);
  if (pre?.channelOrder !== undefined) props.push(['channel_order', pre.channelOrder]);
  if (m.extra?.labelOrder !== undefined) props.push(['class_order', m.extra.labelOrder]);
  const out = shapes.get(m.outputNames[0]);
  if (out !== undefined && out.length >= 2 && out.slice(2).every((d) => d === 1)) props.push(['class_count', String(out[1])]);
  return props;
}
