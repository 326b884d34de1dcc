/** Synthetic parity and eval results for the report tests, made by the real compare engine / from predictions. */
import { compareBlobs, type BlobArray, type ParityReport } from '../../src/verify';

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
