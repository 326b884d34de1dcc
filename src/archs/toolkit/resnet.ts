/**
 * ResNet (He et al. 2015, Table 1) and ResNeXt (Xie et al. 2016, Table 1): bottleneck residual
 * nets in Kaiming He's Caffe naming (res2a_branch2a, bn2a_branch2a, scale2a_branch2a, ...). With SE,
 * the sum keeps its toolkit name (res2a) and becomes the module's combining layer; the SE layers are
 * named after the unit (res2a_global_pool, ...).
 */
import type { NetBuilder, Top } from '../../builder';
import { ArchContext, blocks, KAIMING, residual, seGate, type Block, type BottleneckSpec } from '../common';
import type { ArchOptions } from '../types';

/**
 * Block ids as in the released ResNet-101/152: letters while a stage has at most six blocks
 * (res4a..res4f), otherwise 'a' followed by b1, b2, ... (res4a, res4b1 .. res4b22).
 */
export function blockId(b: Block): string {
  if (b.row.blocks <= 6) return String.fromCharCode(96 + b.index);
  return b.first ? 'a' : `b${b.index - 1}`;
}

export function buildBottleneckNet(spec: BottleneckSpec, o: ArchOptions): NetBuilder {
  const t = new ArchContext(o, spec.name, KAIMING);
  // conv1: 7x7/2, then 3x3/2 max pool.
  let x = t.conv({ name: 'conv1', bottom: t.data(), out: 64, bias: false, pad: 3, kernel: 7, stride: 2 });
  x = t.bn({ bottom: x, bn: 'bn_conv1', scale: 'scale_conv1', relu: 'conv1_relu' });
  x = t.pool({ name: 'pool1', bottom: x, pool: 'MAX', kernel: 3, stride: 2 });
  for (const b of blocks(spec.stages)) x = bottleneck(t, spec, b, x);
  x = t.finalPool({ name: 'pool5', bottom: x, kernel: 7 });
  t.head({ name: 'fc6', bottom: x });
  return t.n;
}

/** One bottleneck block `res<id>`: 1x1 reduce, 3x3 (grouped for ResNeXt), 1x1 increase, + shortcut. */
function bottleneck(t: ArchContext, spec: BottleneckSpec, b: Block, x: Top): Top {
  const id = `${b.stage}${blockId(b)}`;
  const { width, out } = b.row;
  const convBn = (branch: string, c: { bottom: Top; out: number; kernel: number; stride: number; group?: number; relu: boolean }): Top =>
    t.convBn({
      name: `res${id}_${branch}`,
      bottom: c.bottom,
      out: c.out,
      bias: false,
      pad: (c.kernel - 1) / 2,
      kernel: c.kernel,
      group: c.group,
      stride: c.stride,
      bn: `bn${id}_${branch}`,
      scale: `scale${id}_${branch}`,
      relu: c.relu ? `res${id}_${branch}_relu` : undefined,
    });
  const strideAt = (at: BottleneckSpec['strideAt']) => (spec.strideAt === at ? b.stride : 1);
  let y = convBn('branch2a', { bottom: x, out: width, kernel: 1, stride: strideAt('1x1'), relu: true });
  y = convBn('branch2b', { bottom: y, out: width, kernel: 3, stride: strideAt('3x3'), group: spec.groups > 1 ? spec.groups : undefined, relu: true });
  y = convBn('branch2c', { bottom: y, out, kernel: 1, stride: 1, relu: false });
  const shortcut = b.first ? convBn('branch1', { bottom: x, out, kernel: 1, stride: b.stride, relu: false }) : x;
  const gate = seGate(t, { unit: `res${id}`, bottom: y, channels: out });
  return t.relu({ name: `res${id}_relu`, bottom: residual(t, { name: `res${id}`, branch: y, shortcut, gate }) });
}
