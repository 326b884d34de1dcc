/** Output-side layers: SoftmaxWithLoss, Accuracy, ArgMax, Silence. */
import { layerParam, type LayerParameter } from '../schema';
import { type LayerHandler, type Shape, ONE, NONE, ANY_FROM_1, bottomLabel, canonicalAxis, countOf, netError, noBlobs, noMacs, shapeText } from './handler';

/** SoftmaxWithLoss and Accuracy take one label per position outside the class axis of the scores. */
function checkLabelCount(layer: LayerParameter, scores: Shape, labels: Shape, axis: number): void {
  const outer = countOf(scores, 0, axis) * countOf(scores, axis + 1);
  if (countOf(labels) !== outer) {
    throw netError(layer, `labels ${bottomLabel(layer, 1)} ${shapeText(labels)} must have ${outer} entries for scores ${shapeText(scores)}`);
  }
}

export const softmaxWithLoss: LayerHandler = {
  type: 'SoftmaxWithLoss',
  role: 'train-only',
  category: 'out',
  docs: {
    notes: 'Needs labels: dropped at inference.',
  },
  paramField: 'softmax_param',
  bottoms: { min: 2, max: 2 },
  tops: { min: 1, max: 2 },
  inPlaceOk: false,
  outputShapes(layer, [scores, labels]) {
    const axis = canonicalAxis(layer, layerParam(layer, 'softmax_param').axis, scores.length);
    checkLabelCount(layer, scores, labels, axis);
    // top[0] is the scalar loss; an optional top[1] receives the probabilities.
    return (layer.top?.length ?? 1) === 2 ? [[], scores.slice()] : [[]];
  },
  blobShapes: noBlobs,
  macs: noMacs,
};

export const accuracy: LayerHandler = {
  type: 'Accuracy',
  role: 'train-only',
  category: 'out',
  docs: {
    notes: 'Needs labels: dropped at inference.',
  },
  paramField: 'accuracy_param',
  bottoms: { min: 2, max: 2 },
  tops: { min: 1, max: 2 },
  inPlaceOk: false,
  outputShapes(layer, [scores, labels]) {
    const p = layerParam(layer, 'accuracy_param');
    const axis = canonicalAxis(layer, p.axis, scores.length);
    const topK = p.top_k;
    if (topK > countOf(scores) / countOf(labels)) throw netError(layer, `top_k ${topK} must not exceed the number of classes`);
    checkLabelCount(layer, scores, labels, axis);
    // top[1], if present, holds the per-class accuracy.
    return (layer.top?.length ?? 1) === 2 ? [[], [scores[axis]]] : [[]];
  },
  blobShapes: noBlobs,
  macs: noMacs,
};

export const argMax: LayerHandler = {
  type: 'ArgMax',
  docs: {
    notes: 'Shapes only: no conversion written yet.',
  },
  paramField: 'argmax_param',
  bottoms: ONE,
  tops: ONE,
  inPlaceOk: false,
  outputShapes(layer, [input]) {
    const p = layerParam(layer, 'argmax_param');
    const topK = p.top_k;
    if (topK < 1) throw netError(layer, 'top_k must be at least 1');
    if (p.axis !== undefined) {
      const axis = canonicalAxis(layer, p.axis, input.length);
      if (input[axis] < topK) throw netError(layer, `top_k ${topK} exceeds axis ${axis} of size ${input[axis]}`);
      const out = input.slice();
      out[axis] = topK;
      return [out];
    }
    if (countOf(input, 1) < topK) throw netError(layer, `top_k ${topK} exceeds the ${countOf(input, 1)} values per item`);
    // Without an axis: N x (1 or 2 with out_max_val) x top_k, padded with 1s to the input's rank.
    const out = new Array<number>(Math.max(3, input.length)).fill(1);
    out[0] = input[0];
    out[2] = topK;
    if (p.out_max_val) out[1] = 2;
    return [out];
  },
  blobShapes: noBlobs,
  macs: noMacs,
};

export const silence: LayerHandler = {
  type: 'Silence',
  role: 'dropped',
  docs: {
    notes: 'Computes nothing: dropped at inference.',
  },
  bottoms: ANY_FROM_1,
  tops: NONE,
  inPlaceOk: false,
  outputShapes: () => [],
  blobShapes: noBlobs,
  macs: noMacs,
};
