/** Synthetic parity and eval results for the report tests, made by the real compare engine / from predictions. */
import { compareBlobs, publishedFor, type BlobArray, type EvalResult, type ParityReport, type Prediction } from '../../src/verify';

export function arr(shape: number[], f: (i: number) => number): BlobArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: n }, (_, i) => f(i)), shape };
}

/** conv1 exact, bn1 off by 1e-6 relative, relu1 off by 1e-2 (fails), fc shape-mismatched, prob a softmax within atol. */
export function syntheticParity(): ParityReport {
  const order = [
    { name: 'data', layers: [] },
    { name: 'conv1', layers: ['conv1'] },
    { name: 'bn1', layers: ['bn1', 'scale1'] },
    { name: 'relu1', layers: ['relu1'] },
    { name: 'fc', layers: ['fc'] },
    { name: 'prob', layers: ['prob'] },
  ];
  const ref = new Map<string, BlobArray>();
  const mine = new Map<string, BlobArray>();
  ref.set('conv1', arr([1, 2, 2, 2], (i) => i - 3));
  mine.set('conv1', arr([1, 2, 2, 2], (i) => i - 3));
  ref.set('bn1', arr([1, 2, 2, 2], (i) => (i + 1) * 10));
  mine.set('bn1', arr([1, 2, 2, 2], (i) => (i + 1) * 10 + (i === 5 ? 80e-6 : 0)));
  ref.set('relu1', arr([1, 4], (i) => i));
  mine.set('relu1', arr([1, 4], (i) => (i === 2 ? 2.03 : i)));
  ref.set('fc', arr([1, 6], (i) => i));
  mine.set('fc', arr([1, 5], (i) => i));
  ref.set('prob', arr([1, 4], (i) => [0.1, 0.2, 0.3, 0.4][i]));
  mine.set('prob', arr([1, 4], (i) => [0.1, 0.2, 0.3, 0.4][i] + (i === 0 ? 2e-6 : 0)));
  ref.set('conv1_conv1_0_split_0', arr([1, 2, 2, 2], () => 0));
  ref.set('extra_blob', arr([1], () => 1));
  return compareBlobs(order, ref, mine);
}

/**
 * An ImageNet eval of 16 readable images (standard order) plus 2 unreadable ones. Per true class:
 * 0: 5 images, 2 right, 3 taken for class 1; 1: 4 right; 2: 3 images, 1 right, one each taken for
 * 7 and 8; 3: 2 images, both taken for 0; 4: 2 images, 1 right, 1 taken for 1. Top-5 holds the
 * truth for every image except the two of class 3. Totals are counted from the predictions.
 */
export function syntheticEval(): EvalResult {
  const spec: [number, number][] = [
    [0, 0], [0, 0], [0, 1], [0, 1], [0, 1],
    [1, 1], [1, 1], [1, 1], [1, 1],
    [2, 2], [2, 7], [2, 8],
    [3, 0], [3, 0],
    [4, 4], [4, 1],
  ];
  const predictions: Prediction[] = spec.map(([label, top], i) => {
    const rest = [label, 500, 501, 502, 503, 504].filter((c) => c !== top && !(label === 3 && c === 3));
    return { file: `val/img${String(i).padStart(2, '0')}.JPEG`, label, top5: [top, ...rest].slice(0, 5), top1Prob: 0.5 };
  });
  const top1 = predictions.filter((p) => p.top5[0] === p.label).length;
  const top5 = predictions.filter((p) => p.top5.includes(p.label)).length;
  const failed = [
    { file: 'val/broken.JPEG', error: 'Input buffer contains unsupported image format' },
    { file: 'val/<odd>.JPEG', error: 'VipsJpeg: premature end of JPEG file' },
  ];
  return {
    images: predictions.length + failed.length,
    evaluated: predictions.length,
    top1,
    top5,
    top1Accuracy: top1 / predictions.length,
    top5Accuracy: top5 / predictions.length,
    failed,
    classes: 1000,
    seconds: 4,
    imagesPerSecond: (predictions.length + failed.length) / 4,
    workers: 2,
    backends: ['wasm', 'wasm'],
    modelOrder: 'senet',
    labelOrder: 'standard',
    preprocessing: { resize: 256, crop: [224, 224], channelOrder: 'BGR', mean: { kind: 'channel', values: [104, 117, 123] }, scale: 1 },
    published: publishedFor(['SE-ResNet-50']),
    predictions,
  };
}
