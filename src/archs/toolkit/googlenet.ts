/**
 * GoogLeNet / Inception v1 (Szegedy et al. 2014, Table 1), without LRN and without the auxiliary
 * classifiers, as the toolkit generated it. Naming as the BVLC GoogLeNet release
 * (inception_3a/3x3_reduce, inception_3a/relu_3x3, inception_3a/output, pool5/7x7_s1); the
 * classifier keeps the toolkit's name `loos3/classifier` (sic) so its weights still load.
 */
import type { NetBuilder, Top } from '../../builder';
import { ArchContext, PLAIN, seScale } from '../common';
import type { ArchOptions } from '../types';

/** One row of the paper's table: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj. */
export interface InceptionSpec {
  id: string;
  c1: number;
  c3r: number;
  c3: number;
  c5r: number;
  c5: number;
  pool: number;
}

const row = (id: string, c1: number, c3r: number, c3: number, c5r: number, c5: number, pool: number): InceptionSpec => ({ id, c1, c3r, c3, c5r, c5, pool });

/** The inception modules in order; a 3x3/2 max pool (`pool3`, `pool4`) follows 3b and 4e. */
export const GOOGLENET_V1: readonly (InceptionSpec | 'pool')[] = [
  row('3a', 64, 96, 128, 16, 32, 32),
  row('3b', 128, 128, 192, 32, 96, 64),
  'pool',
  row('4a', 192, 96, 208, 16, 48, 64),
  row('4b', 160, 112, 224, 24, 64, 64),
  row('4c', 128, 128, 256, 24, 64, 64),
  row('4d', 112, 144, 288, 32, 64, 64),
  row('4e', 256, 160, 320, 32, 128, 128),
  'pool',
  row('5a', 256, 160, 320, 32, 128, 128),
  row('5b', 384, 192, 384, 48, 128, 128),
];

export function buildGoogLeNet(o: ArchOptions): NetBuilder {
  const t = new ArchContext(o, 'GoogLeNet-v1', PLAIN);
  /** A biased convolution and its ReLU `<scope>/relu_<name>`; pad keeps the map size. */
  const convRelu = (scope: string, name: string, c: { bottom: Top; out: number; kernel: 1 | 3 | 5 | 7; stride?: number }): Top => {
    const conv = t.conv({ name: `${scope}/${name}`, bottom: c.bottom, out: c.out, pad: (c.kernel - 1) / 2, kernel: c.kernel, stride: c.stride ?? 1 });
    return t.relu({ name: `${scope}/relu_${name}`, bottom: conv });
  };

  let x = convRelu('conv1', '7x7_s2', { bottom: t.data(), out: 64, kernel: 7, stride: 2 });
  x = t.pool({ name: 'pool1/3x3_s2', bottom: x, pool: 'MAX', kernel: 3, stride: 2 });
  x = convRelu('conv2', '3x3_reduce', { bottom: x, out: 64, kernel: 1 });
  x = convRelu('conv2', '3x3', { bottom: x, out: 192, kernel: 3 });
  x = t.pool({ name: 'pool2/3x3_s2', bottom: x, pool: 'MAX', kernel: 3, stride: 2 });

  let pools = 3;
  for (const spec of GOOGLENET_V1) {
    if (spec === 'pool') {
      x = t.pool({ name: `pool${pools}/3x3_s2`, bottom: x, pool: 'MAX', kernel: 3, stride: 2 });
      pools += 1;
      continue;
    }
    const p = `inception_${spec.id}`;
    const b1 = convRelu(p, '1x1', { bottom: x, out: spec.c1, kernel: 1 });
    const r3 = convRelu(p, '3x3_reduce', { bottom: x, out: spec.c3r, kernel: 1 });
    const b3 = convRelu(p, '3x3', { bottom: r3, out: spec.c3, kernel: 3 });
    const r5 = convRelu(p, '5x5_reduce', { bottom: x, out: spec.c5r, kernel: 1 });
    const b5 = convRelu(p, '5x5', { bottom: r5, out: spec.c5, kernel: 5 });
    const pool = t.pool({ name: `${p}/pool`, bottom: x, pool: 'MAX', kernel: 3, stride: 1, pad: 1 });
    const bp = convRelu(p, 'pool_proj', { bottom: pool, out: spec.pool, kernel: 1 });
    // With SE the module's output blob keeps its name: the concat moves aside (SE-BN-Inception's layout).
    const cat = t.concat({ name: o.se ? `${p}/concat` : `${p}/output`, bottoms: [b1, b3, b5, bp] });
    x = seScale(t, { unit: p, bottom: cat, channels: spec.c1 + spec.c3 + spec.c5 + spec.pool, top: `${p}/output` });
  }

  x = t.finalPool({ name: 'pool5/7x7_s1', bottom: x, kernel: 7 });
  x = t.dropout({ name: 'pool5/drop_7x7_s1', bottom: x, ratio: 0.4 });
  t.head({ name: 'loos3/classifier', bottom: x });
  return t.n;
}
