/**
 * The class-order stage: which ImageNet class order the converted model outputs, and the
 * classifier's weights permuted when that differs from the caffemodel's. It runs on the weights
 * before the fold and emit stages, so every target sees the same (permuted) classifier.
 */
import { UsageError } from '../errors';
import { classifierPermutation, permuteClassifier, type LabelOrder } from '../imagenet';
import type { LayerBlob, LayerShapes } from '../layers';
import { layerParam, type LayerParameter } from '../schema';

/** The class order recorded: the classifier layer and whether it was permuted (from -> to). */
export interface ClassOrder {
  classifier: string;
  from: LabelOrder;
  to: LabelOrder;
}

export interface ClassOrderOptions {
  /** Class order the converted model outputs; default `weightsLabels`, else the release's for an official net. */
  labels?: LabelOrder;
  /** Class order of the caffemodel's classifier; default the release's for an official net, else 'standard'. */
  weightsLabels?: LabelOrder;
}

/**
 * The net's ImageNet classifier: the InnerProduct whose output the output Softmax reads, else the
 * last InnerProduct; undefined unless it has 1000 outputs.
 */
export function findClassifier(layers: readonly LayerShapes[], params: readonly LayerParameter[], outputs: readonly string[]): number | undefined {
  const isFc = (i: number): boolean => layers[i].type === 'InnerProduct';
  let found: number | undefined;
  const outs = new Set(outputs);
  for (let i = layers.length - 1; i >= 0 && found === undefined; i--) {
    const l = layers[i];
    if (l.type !== 'Softmax' || l.bottoms.length !== 1 || !l.tops.some((t) => outs.has(t))) continue;
    for (let j = i - 1; j >= 0; j--) {
      if (!layers[j].tops.includes(l.bottoms[0])) continue;
      if (isFc(j)) found = j;
      break;
    }
  }
  if (found === undefined) {
    for (let i = layers.length - 1; i >= 0; i--) {
      if (isFc(i)) {
        found = i;
        break;
      }
    }
  }
  return found !== undefined && params[found].inner_product_param?.num_output === 1000 ? found : undefined;
}

/**
 * Decides the recorded class order and permutes the classifier's blobs in `weights` when asked
 * to. `releaseOrder` is the release policy's class order (official SENets: 'senet'), if any.
 */
export function applyClassOrder(
  netName: string,
  opts: ClassOrderOptions,
  releaseOrder: LabelOrder | undefined,
  layers: readonly LayerShapes[],
  params: readonly LayerParameter[],
  outputs: readonly string[],
  weights: Map<string, LayerBlob[]>,
): ClassOrder | undefined {
  const c = findClassifier(layers, params, outputs);
  if (c === undefined) {
    const flag = opts.labels !== undefined ? '--class-order' : opts.weightsLabels !== undefined ? '--weights-class-order' : undefined;
    if (flag !== undefined) {
      throw new UsageError(`${flag} needs a 1000-way ImageNet classifier (an InnerProduct with num_output: 1000 feeding the output Softmax, or the last InnerProduct); net '${netName}' has none`);
    }
    return undefined;
  }
  const from = opts.weightsLabels ?? releaseOrder ?? 'standard';
  const to = opts.labels ?? opts.weightsLabels ?? releaseOrder;
  if (to === undefined) return undefined;
  const name = layers[c].name;
  if (from !== to) {
    const blobs = weights.get(name);
    if (blobs === undefined || blobs.length === 0) throw new UsageError(`classifier '${name}' has no weights to reorder`);
    const transpose = layerParam(params[c], 'inner_product_param').transpose;
    const k = blobs[0].data.length / 1000;
    // As 2-D whatever the stored (possibly legacy 4-D) shape; the shapes are put back after.
    const permuted = permuteClassifier(
      {
        weight: { data: blobs[0].data, shape: transpose ? [k, 1000] : [1000, k] },
        ...(blobs.length > 1 ? { bias: { data: blobs[1].data, shape: blobs[1].shape } } : {}),
      },
      classifierPermutation(from, to),
      transpose,
    );
    const out: LayerBlob[] = [{ shape: blobs[0].shape, data: permuted.weight.data }];
    if (permuted.bias !== undefined) out.push({ shape: blobs[1].shape, data: permuted.bias.data });
    weights.set(name, [...out, ...blobs.slice(out.length)]);
  }
  return { classifier: name, from, to };
}
