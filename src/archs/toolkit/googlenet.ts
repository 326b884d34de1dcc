/**
 * GoogLeNet / Inception v1 (Szegedy et al. 2014, Table 1), without LRN and without the auxiliary
 * classifiers, as the toolkit generated it. Naming as the BVLC GoogLeNet release
 * (inception_3a/3x3_reduce, inception_3a/relu_3x3, inception_3a/output, pool5/7x7_s1); the
 * classifier keeps the toolkit's name `loos3/classifier` (sic) so its weights still load.
 */
import type { Top } from '../../builder';
import type { ArchOptions } from '../types';
import { ToolkitNet } from './kit';
import { seScale } from './se';

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

export function buildGoogLeNet(o: ArchOptions): ToolkitNet {
  const t = new ToolkitNet(o, `GoogLeNet-v1_${o.phase === 'train' ? 'train_test' : 'deploy'}`, 'plain');
  const { n } = t;
  const { data, label } = t.input();
  const convRelu = (name: string, relu: string, x: Top, numOutput: number, kernel: number, stride: number, pad: number): Top =>
    n.relu(relu, t.conv(name, x, numOutput, kernel, stride, pad, { bias: true }));

  let x = convRelu('conv1/7x7_s2', 'conv1/relu_7x7_s2', data, 64, 7, 2, 3);
  x = n.pool('pool1/3x3_s2', x, { pool: 'MAX', kernel_size: 3, stride: 2 });
  x = convRelu('conv2/3x3_reduce', 'conv2/relu_3x3_reduce', x, 64, 1, 1, 0);
  x = convRelu('conv2/3x3', 'conv2/relu_3x3', x, 192, 3, 1, 1);
  x = n.pool('pool2/3x3_s2', x, { pool: 'MAX', kernel_size: 3, stride: 2 });

  let pools = 3;
  for (const spec of GOOGLENET_V1) {
    if (spec === 'pool') {
      x = n.pool(`pool${pools}/3x3_s2`, x, { pool: 'MAX', kernel_size: 3, stride: 2 });
      pools += 1;
      continue;
    }
    const p = `inception_${spec.id}`;
    const b1 = convRelu(`${p}/1x1`, `${p}/relu_1x1`, x, spec.c1, 1, 1, 0);
    let b3 = convRelu(`${p}/3x3_reduce`, `${p}/relu_3x3_reduce`, x, spec.c3r, 1, 1, 0);
    b3 = convRelu(`${p}/3x3`, `${p}/relu_3x3`, b3, spec.c3, 3, 1, 1);
    let b5 = convRelu(`${p}/5x5_reduce`, `${p}/relu_5x5_reduce`, x, spec.c5r, 1, 1, 0);
    b5 = convRelu(`${p}/5x5`, `${p}/relu_5x5`, b5, spec.c5, 5, 1, 2);
    let bp = n.pool(`${p}/pool`, x, { pool: 'MAX', kernel_size: 3, stride: 1, pad: 1 });
    bp = convRelu(`${p}/pool_proj`, `${p}/relu_pool_proj`, bp, spec.pool, 1, 1, 0);
    const channels = spec.c1 + spec.c3 + spec.c5 + spec.pool;
    if (o.se) {
      const cat = n.concat(`${p}/concat`, [b1, b3, b5, bp]);
      x = seScale(t, p, cat, channels, `${p}/output`);
    } else {
      x = n.concat(`${p}/output`, [b1, b3, b5, bp]);
    }
  }

  x = t.finalPool('pool5/7x7_s1', x, 7, 224);
  x = n.dropout('pool5/drop_7x7_s1', x, { dropout_ratio: 0.4 });
  t.head(t.fc('loos3/classifier', x, o.numClasses), label);
  return t;
}
