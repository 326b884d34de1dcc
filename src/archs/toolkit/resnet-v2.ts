/**
 * Pre-activation ResNet for CIFAR (He et al. 2016, "Identity Mappings", Table 2 / Sec. 4): depth
 * 9n+2, three stages of n bottleneck units (BN-ReLU-conv x3) at widths 16, 32, 64 (x4 out).
 * Naming as the toolkit: bn_block2_1_branch2a, scale_..., relu_..., conv_..., addition_block2_1.
 */
import type { Top } from '../../builder';
import { UsageError } from '../../errors';
import type { ArchOptions } from '../types';
import { ToolkitNet } from './kit';
import { seResidual } from './se';

export interface PreActConfig {
  name: string;
  depth: number;
  /** Bottleneck widths of the three stages; outputs are 4x. */
  widths: readonly number[];
}

export const RESNET_V2_164: PreActConfig = { name: 'ResNet-v2-164', depth: 164, widths: [16, 32, 64] };
export const RESNET_V2_1001: PreActConfig = { ...RESNET_V2_164, name: 'ResNet-v2-1001', depth: 1001 };

/** Units per stage: depth = 9n + 2 (three stages of three-layer units, plus conv1 and fc). */
export function preActUnits(depth: number): number {
  if ((depth - 2) % 9 !== 0) throw new UsageError(`pre-activation ResNet depth must be 9n+2, got ${depth}`);
  return (depth - 2) / 9;
}

export function buildPreActNet(cfg: PreActConfig, o: ArchOptions): ToolkitNet {
  const units = preActUnits(cfg.depth);
  const t = new ToolkitNet(o, `${cfg.name}_${o.phase === 'train' ? 'train_test' : 'deploy'}`, 'kaiming');
  const { n } = t;
  const { data, label } = t.input();
  let x = t.conv('conv1', data, cfg.widths[0], 3, 1, 1);

  cfg.widths.forEach((width, s) => {
    const stage = s + 2;
    for (let i = 1; i <= units; i++) {
      const id = `block${stage}_${i}`;
      const first = i === 1;
      const stride = first && s > 0 ? 2 : 1;
      // Pre-activation: each conv reads BN-Scale-ReLU of its input (BN writes a new blob).
      const preConv = (branch: string, input: Top, numOutput: number, kernel: number, st: number, pad: number): Top => {
        let y = t.bn(`bn_${id}_${branch}`, input, false);
        y = t.scale(`scale_${id}_${branch}`, y);
        y = n.relu(`relu_${id}_${branch}`, y);
        return t.conv(`conv_${id}_${branch}`, y, numOutput, kernel, st, pad);
      };
      let y = preConv('branch2a', x, width, 1, stride, 0);
      y = preConv('branch2b', y, width, 3, 1, 1);
      y = preConv('branch2c', y, width * 4, 1, 1, 0);
      const shortcut = first ? preConv('branch1', x, width * 4, 1, stride, 0) : x;
      x = o.se ? seResidual(t, id, `addition_${id}`, y, shortcut, width * 4) : n.eltwise(`addition_${id}`, [shortcut, y]);
    }
  });

  x = t.bn('bn5', x, false);
  x = t.scale('scale5', x);
  x = n.relu('relu5', x);
  x = t.finalPool('pool5', x, 8, 32);
  t.head(t.fc('fc6', x, o.numClasses), label);
  return t;
}
