/**
 * VGG (Simonyan & Zisserman 2014, Table 1, configurations D and E): five stages of 3x3
 * convolutions with ReLU, each closed by a 2x2 max pool, then fc6/fc7 (4096, dropout 0.5) and fc8.
 * Naming as the toolkit (and the released VGG models): conv3_2, relu3_2, pool3, fc6, relu6, drop6.
 * With SE, each stage's module (conv5_global_pool, ...) follows its last conv + ReLU.
 */
import type { NetBuilder } from '../../builder';
import { ArchContext, PLAIN, seScale } from '../common';
import type { ArchOptions } from '../types';

/** One column block of the paper's Table 1: `convs` 3x3 convolutions of `width` outputs. */
export interface VggStage {
  stage: string;
  convs: number;
  width: number;
}

/** Configurations D and E differ in the convolutions of conv3 .. conv5. */
export const vggStages = (deep: 3 | 4): VggStage[] => [
  { stage: 'conv1', convs: 2, width: 64 },
  { stage: 'conv2', convs: 2, width: 128 },
  { stage: 'conv3', convs: deep, width: 256 },
  { stage: 'conv4', convs: deep, width: 512 },
  { stage: 'conv5', convs: deep, width: 512 },
];

export function buildVgg(name: string, stages: readonly VggStage[], o: ArchOptions): NetBuilder {
  const t = new ArchContext(o, name, PLAIN);
  let x = t.data();
  stages.forEach(({ stage, convs, width }, s) => {
    for (let i = 1; i <= convs; i++) {
      x = t.conv({ name: `${stage}_${i}`, bottom: x, out: width, pad: 1, kernel: 3, stride: 1 });
      x = t.relu({ name: `relu${s + 1}_${i}`, bottom: x });
    }
    x = seScale(t, { unit: stage, bottom: x, channels: width });
    x = t.pool({ name: `pool${s + 1}`, bottom: x, pool: 'MAX', kernel: 2, stride: 2 });
  });
  for (const layer of [6, 7]) {
    x = t.fc({ name: `fc${layer}`, bottom: x, out: 4096 });
    x = t.relu({ name: `relu${layer}`, bottom: x });
    x = t.dropout({ name: `drop${layer}`, bottom: x, ratio: 0.5 });
  }
  t.head({ name: 'fc8', bottom: x });
  return t.n;
}
