/**
 * Published accuracies, shown beside `senet eval` results.
 *
 * ImageNet: the SENet release (github.com/hujie-frank/SENet, README, Table 1): single centre crop
 * 224x224 of the image resized to shorter side 256, BGR mean 104,117,123, ILSVRC2012 validation
 * set (50,000 images). Errors converted to accuracies here (100 - error).
 */
export interface PublishedAccuracy {
  model: string;
  /** Percent. */
  top1: number;
  top5?: number;
  dataset: string;
  source: string;
}

const SENET_SOURCE = 'SENet release (hujie-frank/SENet) README, Table 1: single-crop 224x224 ILSVRC2012 val';

const err = (model: string, top1Err: number, top5Err: number): PublishedAccuracy => ({
  model, top1: Math.round((100 - top1Err) * 100) / 100, top5: Math.round((100 - top5Err) * 100) / 100, dataset: 'ILSVRC2012 val', source: SENET_SOURCE,
});

export const PUBLISHED: readonly PublishedAccuracy[] = [
  err('SE-BN-Inception', 23.62, 7.04),
  err('SE-ResNet-50', 22.37, 6.36),
  err('SE-ResNet-101', 21.75, 5.72),
  err('SE-ResNet-152', 21.34, 5.54),
  err('SE-ResNeXt-50', 20.97, 5.54),
  err('SE-ResNeXt-101', 19.81, 4.96),
  err('SENet-154', 18.68, 4.47),
];

/** The published entry for a net name (the prototxt's `name:` or file name), if any. */
export function publishedFor(names: readonly (string | undefined)[]): PublishedAccuracy | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/\.(prototxt|caffemodel)$/, '').replace(/\(.*?\)/g, '').replace(/[^a-z0-9]/g, '');
  for (const n of names) {
    if (n === undefined || n === '') continue;
    const k = norm(n);
    const hit = PUBLISHED.find((p) => norm(p.model) === k);
    if (hit) return hit;
  }
  return undefined;
}
