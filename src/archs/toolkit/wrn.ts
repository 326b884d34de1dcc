/**
 * Wide residual networks (Zagoruyko & Komodakis 2016, Table 1): WRN-d-k has (d-4)/6 pre-activation
 * basic blocks (two 3x3 convs, dropout between them) per stage at widths 16k, 32k, 64k.
 * Naming as the toolkit: block_2_1_branch2a_bn, ..._conv, block_2_1_dropout, block_2_1_addition.
 */
import type { NetBuilder, Top } from '../../builder';
import { UsageError } from '../../errors';
import { ArchContext, blocks, KAIMING, residual, seGate, type StageTable } from '../common';
import type { ArchOptions } from '../types';

export function wideBlocks(depth: number): number {
  if ((depth - 4) % 6 !== 0) throw new UsageError(`wide ResNet depth must be 6n+4, got ${depth}`);
  return (depth - 4) / 6;
}

/** WRN-`depth`-`k`: the basic blocks have one width, so `width` and `out` agree. */
export function wideStages(depth: number, k: number): StageTable {
  const n = wideBlocks(depth);
  return [
    { stage: 'conv2', blocks: n, width: 16 * k, out: 16 * k, stride: 1 },
    { stage: 'conv3', blocks: n, width: 32 * k, out: 32 * k, stride: 2 },
    { stage: 'conv4', blocks: n, width: 64 * k, out: 64 * k, stride: 2 },
  ];
}

export function buildWideNet(c: { name: string; stages: StageTable; stem: number; dropout: number }, o: ArchOptions): NetBuilder {
  const t = new ArchContext(o, c.name, KAIMING);
  let x = t.conv({ name: 'conv1', bottom: t.data(), out: c.stem, bias: false, pad: 1, kernel: 3, stride: 1 });
  for (const b of blocks(c.stages)) {
    const id = `block_${b.stage}_${b.index}`;
    const { width } = b.row;
    const preConv = (branch: string, bottom: Top, stride: number): Top => {
      const y = t.bn({ bottom, inPlace: false, bn: `${id}_${branch}_bn`, scale: `${id}_${branch}_scale`, relu: `${id}_${branch}_relu` });
      return t.conv({ name: `${id}_${branch}_conv`, bottom: y, out: width, bias: false, pad: 1, kernel: 3, stride });
    };
    let y = preConv('branch2a', x, b.stride);
    y = t.dropout({ name: `${id}_dropout`, bottom: y, ratio: c.dropout, inPlace: false });
    y = preConv('branch2b', y, 1);
    // The toolkit's projection shortcut is itself a pre-activated 3x3 convolution.
    const shortcut = b.first ? preConv('branch1', x, b.stride) : x;
    const gate = seGate(t, { unit: id, bottom: y, channels: width });
    x = residual(t, { name: `${id}_addition`, unit: id, branch: y, shortcut, gate });
  }
  x = t.bn({ bottom: x, inPlace: false, bn: 'bn5', scale: 'scale5', relu: 'relu5' });
  x = t.pool({ name: 'pool5', bottom: x, pool: 'AVE', global: true });
  t.head({ name: 'fc6', bottom: x });
  return t.n;
}
