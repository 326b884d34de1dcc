/**
 * ResNet (He et al. 2015, Table 1) and ResNeXt (Xie et al. 2016, Table 1): bottleneck residual
 * nets in Kaiming He's Caffe naming (res2a_branch2a, bn2a_branch2a, scale2a_branch2a, ...).
 */
import type { Top } from '../../builder';
import type { ArchOptions } from '../types';
import { ToolkitNet } from './kit';
import { seResidual } from './se';

export interface BottleneckConfig {
  /** Net name prefix ('ResNet-50'); the phase is appended as the toolkit did. */
  name: string;
  /** Bottleneck blocks per stage (conv2_x .. conv5_x). */
  blocks: readonly number[];
  /** Width of the 1x1 reduce and 3x3 convolutions per stage. */
  widths: readonly number[];
  /** Output width of each stage (the 1x1 increase and the projection). */
  outputs: readonly number[];
  /** ResNeXt: groups of the 3x3 convolution. */
  cardinality?: number;
  /** The stride-2 convolution of a downsampling block: the first 1x1 (ResNet) or the 3x3 (ResNeXt). */
  strideOn: '1x1' | '3x3';
}

export const RESNET_50: BottleneckConfig = { name: 'ResNet-50', blocks: [3, 4, 6, 3], widths: [64, 128, 256, 512], outputs: [256, 512, 1024, 2048], strideOn: '1x1' };
export const RESNET_101: BottleneckConfig = { ...RESNET_50, name: 'ResNet-101', blocks: [3, 4, 23, 3] };
export const RESNET_152: BottleneckConfig = { ...RESNET_50, name: 'ResNet-152', blocks: [3, 8, 36, 3] };
/** ResNeXt 32x4d: 32 groups of width 4 in the first stage, doubling per stage. */
export const RESNEXT_50: BottleneckConfig = { name: 'ResNeXt-50', blocks: [3, 4, 6, 3], widths: [128, 256, 512, 1024], outputs: [256, 512, 1024, 2048], cardinality: 32, strideOn: '3x3' };
export const RESNEXT_101: BottleneckConfig = { ...RESNEXT_50, name: 'ResNeXt-101', blocks: [3, 4, 23, 3] };

/**
 * Block ids as in the released ResNet-101/152: letters while a stage has at most six blocks
 * (res4a..res4f), otherwise 'a' followed by b1, b2, ... (res4a, res4b1 .. res4b22).
 */
export function blockId(index: number, count: number): string {
  if (count <= 6) return String.fromCharCode(97 + index);
  return index === 0 ? 'a' : `b${index}`;
}

export function buildBottleneckNet(cfg: BottleneckConfig, o: ArchOptions): ToolkitNet {
  const phaseName = o.phase === 'train' ? 'train_test' : 'deploy';
  const t = new ToolkitNet(o, `${cfg.name}_${phaseName}`, 'kaiming');
  const { n } = t;
  const { data, label } = t.input();

  // conv1: 7x7/2, then 3x3/2 max pool.
  let x = t.conv('conv1', data, 64, 7, 2, 3);
  x = t.bn('bn_conv1', x);
  x = t.scale('scale_conv1', x);
  x = n.relu('conv1_relu', x);
  x = n.pool('pool1', x, { pool: 'MAX', kernel_size: 3, stride: 2 });

  cfg.blocks.forEach((count, s) => {
    const stage = s + 2;
    for (let i = 0; i < count; i++) {
      const id = `${stage}${blockId(i, count)}`;
      const stride = i === 0 && s > 0 ? 2 : 1;
      x = bottleneck(t, cfg, id, x, s, i === 0, stride);
    }
  });

  x = t.finalPool('pool5', x, 7, 224);
  const logits = t.fc('fc6', x, o.numClasses);
  t.head(logits, label);
  return t;
}

/** One bottleneck block `res<id>`: 1x1 reduce, 3x3 (grouped for ResNeXt), 1x1 increase, + shortcut. */
function bottleneck(t: ToolkitNet, cfg: BottleneckConfig, id: string, x: Top, s: number, project: boolean, stride: number): Top {
  const { n } = t;
  const width = cfg.widths[s];
  const out = cfg.outputs[s];
  const convBn = (branch: string, input: Top, numOutput: number, kernel: number, st: number, pad: number, relu: boolean, group?: number): Top => {
    let y = t.conv(`res${id}_${branch}`, input, numOutput, kernel, st, pad, { group });
    y = t.bn(`bn${id}_${branch}`, y);
    y = t.scale(`scale${id}_${branch}`, y);
    return relu ? n.relu(`res${id}_${branch}_relu`, y) : y;
  };
  const s1 = cfg.strideOn === '1x1' ? stride : 1;
  const s3 = cfg.strideOn === '3x3' ? stride : 1;
  let y = convBn('branch2a', x, width, 1, s1, 0, true);
  y = convBn('branch2b', y, width, 3, s3, 1, true, cfg.cardinality);
  y = convBn('branch2c', y, out, 1, 1, 0, false);
  const shortcut = project ? convBn('branch1', x, out, 1, stride, 0, false) : x;
  // The sum keeps its toolkit name (res2a); with SE it is the module's combining layer.
  const sum = t.o.se ? seResidual(t, `res${id}`, `res${id}`, y, shortcut, out) : n.eltwise(`res${id}`, [shortcut, y]);
  return n.relu(`res${id}_relu`, sum);
}
