/**
 * VGG (Simonyan & Zisserman 2014, Table 1, configurations D and E): five stages of 3x3
 * convolutions with ReLU, each closed by a 2x2 max pool, then fc6/fc7 (4096, dropout 0.5) and fc8.
 * Naming as the toolkit (and the released VGG models): conv3_2, relu3_2, pool3, fc6, relu6, drop6.
 */
import type { ArchOptions } from '../types';
import { ToolkitNet } from './kit';
import { seScale } from './se';

export interface VggConfig {
  name: string;
  /** 3x3 convolutions per stage. */
  convs: readonly number[];
  widths: readonly number[];
  hidden: number;
  dropout: number;
}

export const VGG_16: VggConfig = { name: 'VGG-16', convs: [2, 2, 3, 3, 3], widths: [64, 128, 256, 512, 512], hidden: 4096, dropout: 0.5 };
export const VGG_19: VggConfig = { ...VGG_16, name: 'VGG-19', convs: [2, 2, 4, 4, 4] };

export function buildVgg(cfg: VggConfig, o: ArchOptions): ToolkitNet {
  const t = new ToolkitNet(o, `${cfg.name}_${o.phase === 'train' ? 'train_test' : 'deploy'}`, 'plain');
  const { n } = t;
  const { data, label } = t.input();
  let x = data;
  cfg.convs.forEach((count, s) => {
    const stage = s + 1;
    for (let i = 1; i <= count; i++) {
      x = t.conv(`conv${stage}_${i}`, x, cfg.widths[s], 3, 1, 1, { bias: true });
      x = n.relu(`relu${stage}_${i}`, x);
    }
    if (o.se) x = seScale(t, `conv${stage}`, x, cfg.widths[s]);
    x = n.pool(`pool${stage}`, x, { pool: 'MAX', kernel_size: 2, stride: 2 });
  });
  for (const layer of [6, 7]) {
    x = t.fc(`fc${layer}`, x, cfg.hidden);
    x = n.relu(`relu${layer}`, x);
    x = n.dropout(`drop${layer}`, x, { dropout_ratio: cfg.dropout });
  }
  t.head(t.fc('fc8', x, o.numClasses), label);
  return t;
}
