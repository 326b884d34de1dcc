/**
 * Pre-activation ResNet for CIFAR (He et al. 2016, "Identity Mappings", Table 2 / Sec. 4): depth
 * 9n+2, three stages of n bottleneck units (BN-ReLU-conv x3) at widths 16, 32, 64 (x4 out).
 * Naming as the toolkit: bn_block2_1_branch2a, scale_..., relu_..., conv_..., addition_block2_1.
 */
import type { NetBuilder, Top } from '../../builder';
import { UsageError } from '../../errors';
import { ArchContext, blocks, KAIMING, residual, seGate, type StageTable } from '../common';
import type { ArchOptions } from '../types';

/** Units per stage: depth = 9n + 2 (three stages of three-layer units, plus conv1 and fc). */
export function preActUnits(depth: number): number {
  if ((depth - 2) % 9 !== 0) throw new UsageError(`pre-activation ResNet depth must be 9n+2, got ${depth}`);
  return (depth - 2) / 9;
}

export function preActStages(depth: number): StageTable {
  const n = preActUnits(depth);
  return [
    { stage: 'conv2', blocks: n, width: 16, out: 64, stride: 1 },
    { stage: 'conv3', blocks: n, width: 32, out: 128, stride: 2 },
    { stage: 'conv4', blocks: n, width: 64, out: 256, stride: 2 },
  ];
}

export function buildPreActNet(name: string, stages: StageTable, o: ArchOptions): NetBuilder {
  const t = new ArchContext(o, name, KAIMING);
  let x = t.conv({ name: 'conv1', bottom: t.data(), out: stages[0].width, bias: false, pad: 1, kernel: 3, stride: 1 });
  for (const b of blocks(stages)) {
    const id = `block${b.stage}_${b.index}`;
    // Pre-activation: each conv reads BN-Scale-ReLU of its input (BN writes a new blob).
    const preConv = (branch: string, c: { bottom: Top; out: number; kernel: number; stride: number }): Top => {
      const y = t.bn({ bottom: c.bottom, inPlace: false, bn: `bn_${id}_${branch}`, scale: `scale_${id}_${branch}`, relu: `relu_${id}_${branch}` });
      return t.conv({ name: `conv_${id}_${branch}`, bottom: y, out: c.out, bias: false, pad: (c.kernel - 1) / 2, kernel: c.kernel, stride: c.stride });
    };
    const { width, out } = b.row;
    let y = preConv('branch2a', { bottom: x, out: width, kernel: 1, stride: b.stride });
    y = preConv('branch2b', { bottom: y, out: width, kernel: 3, stride: 1 });
    y = preConv('branch2c', { bottom: y, out, kernel: 1, stride: 1 });
    const shortcut = b.first ? preConv('branch1', { bottom: x, out, kernel: 1, stride: b.stride }) : x;
    const gate = seGate(t, { unit: id, bottom: y, channels: out });
    x = residual(t, { name: `addition_${id}`, unit: id, branch: y, shortcut, gate });
  }
  x = t.bn({ bottom: x, inPlace: false, bn: 'bn5', scale: 'scale5', relu: 'relu5' });
  x = t.finalPool({ name: 'pool5', bottom: x, kernel: 8, at: 32 });
  t.head({ name: 'fc6', bottom: x });
  return t.n;
}
