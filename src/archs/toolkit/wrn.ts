/**
 * Wide residual networks (Zagoruyko & Komodakis 2016, Table 1): WRN-d-k has (d-4)/6 pre-activation
 * basic blocks (two 3x3 convs, dropout between them) per stage at widths 16k, 32k, 64k.
 * Naming as the toolkit: block_2_1_branch2a_bn, ..._conv, block_2_1_dropout, block_2_1_addition.
 */
import type { Top } from '../../builder';
import { UsageError } from '../../errors';
import type { ArchOptions } from '../types';
import { ToolkitNet } from './kit';
import { seResidual } from './se';

export interface WideConfig {
  name: string;
  depth: number;
  widen: number;
  dropout: number;
  baseWidths: readonly number[];
}

export const WRN_28_10: WideConfig = { name: 'WRN-28-10', depth: 28, widen: 10, dropout: 0.3, baseWidths: [16, 32, 64] };

export function wideBlocks(depth: number): number {
  if ((depth - 4) % 6 !== 0) throw new UsageError(`wide ResNet depth must be 6n+4, got ${depth}`);
  return (depth - 4) / 6;
}

export function buildWideNet(cfg: WideConfig, o: ArchOptions): ToolkitNet {
  const blocks = wideBlocks(cfg.depth);
  const t = new ToolkitNet(o, `${cfg.name}_${o.phase === 'train' ? 'train_test' : 'deploy'}`, 'kaiming');
  const { n } = t;
  const { data, label } = t.input();
  let x = t.conv('conv1', data, cfg.baseWidths[0], 3, 1, 1);

  cfg.baseWidths.forEach((base, s) => {
    const width = base * cfg.widen;
    const stage = s + 2;
    for (let i = 1; i <= blocks; i++) {
      const id = `block_${stage}_${i}`;
      const first = i === 1;
      const stride = first && s > 0 ? 2 : 1;
      const preConv = (branch: string, input: Top, st: number): Top => {
        let y = t.bn(`${id}_${branch}_bn`, input, false);
        y = t.scale(`${id}_${branch}_scale`, y);
        y = n.relu(`${id}_${branch}_relu`, y);
        return t.conv(`${id}_${branch}_conv`, y, width, 3, st, 1);
      };
      let y = preConv('branch2a', x, stride);
      y = n.dropout(`${id}_dropout`, y, { dropout_ratio: cfg.dropout }, false);
      y = preConv('branch2b', y, 1);
      // The toolkit's projection shortcut is itself a pre-activated 3x3 convolution.
      const shortcut = first ? preConv('branch1', x, stride) : x;
      x = o.se ? seResidual(t, id, `${id}_addition`, y, shortcut, width) : n.eltwise(`${id}_addition`, [shortcut, y]);
    }
  });

  x = t.bn('bn5', x, false);
  x = t.scale('scale5', x);
  x = n.relu('relu5', x);
  x = n.pool('pool5', x, { pool: 'AVE', global_pooling: true });
  t.head(t.fc('fc6', x, o.numClasses), label);
  return t;
}
