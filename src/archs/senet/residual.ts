/**
 * SE-ResNet, SE-ResNeXt and SENet-154: one bottleneck generator, three tables. Layer names follow
 * the release: `conv<stage>_<block>_{1x1_reduce,3x3,1x1_increase,1x1_proj}`, the SE block under
 * `conv<stage>_<block>_*`, and the unit's output blob `conv<stage>_<block>`.
 */
import type { NetBuilder, Top } from '../../builder';
import { ArchContext, blocks, RELEASE, residual, resnet, resnext, seGate, type Block, type BnSpec, type BottleneckSpec, type ResNetDepth } from '../common';
import type { ArchOptions } from '../types';

export interface ResidualSpec extends BottleneckSpec {
  stem: 'conv7x7' | 'conv3x3x3';
  /** The 1x1 reduce has width * reduceRatio outputs. */
  reduceRatio: number;
  /** Dropout ratio before the classifier (SENet-154: 0.2). */
  dropout?: number;
}

/** The release's names of a convolution's BatchNorm, Scale and ReLU (`false`: no ReLU). */
const bnOf = (conv: string, relu: string | false = `${conv}/relu`): BnSpec => ({ bn: `${conv}/bn`, scale: `${conv}/bn/scale`, relu: relu || undefined });

function stem(t: ArchContext, kind: ResidualSpec['stem'], x: Top): Top {
  if (kind === 'conv7x7') {
    x = t.convBn({ name: 'conv1/7x7_s2', bottom: x, out: 64, bias: false, pad: 3, kernel: 7, stride: 2, ...bnOf('conv1/7x7_s2', 'conv1/relu_7x7_s2') });
  } else {
    // SENet-154's stem: three 3x3 convs (64, 64, 128), the first with stride 2.
    x = t.convBn({ name: 'conv1_1/3x3_s2', bottom: x, out: 64, bias: false, pad: 1, kernel: 3, stride: 2, ...bnOf('conv1_1/3x3_s2', 'conv1_1/relu_3x3_s2') });
    x = t.convBn({ name: 'conv1_2/3x3', bottom: x, out: 64, bias: false, pad: 1, kernel: 3, stride: 1, ...bnOf('conv1_2/3x3', 'conv1_2/relu_3x3') });
    x = t.convBn({ name: 'conv1_3/3x3', bottom: x, out: 128, bias: false, pad: 1, kernel: 3, stride: 1, ...bnOf('conv1_3/3x3', 'conv1_3/relu_3x3') });
  }
  return t.pool({ name: 'pool1/3x3_s2', bottom: x, pool: 'MAX', kernel: 3, stride: 2 });
}

/** One bottleneck unit: 1x1 reduce, 3x3 (grouped), 1x1 increase, SE gate, shortcut, sum, ReLU. */
function unit(t: ArchContext, spec: ResidualSpec, b: Block, x: Top): Top {
  const name = `${b.row.stage}_${b.index}`;
  const { width, out, proj = 1 } = b.row;
  const [reduce, mid, increase, projection] = ['1x1_reduce', '3x3', '1x1_increase', '1x1_proj'].map((c) => `${name}_${c}`);
  const strideAt = (at: ResidualSpec['strideAt']) => (spec.strideAt === at ? b.stride : 1);
  let y = t.convBn({ name: reduce, bottom: x, out: width * spec.reduceRatio, bias: false, kernel: 1, stride: strideAt('1x1'), ...bnOf(reduce) });
  y = t.convBn({
    name: mid,
    bottom: y,
    out: width,
    bias: false,
    pad: 1,
    kernel: 3,
    group: spec.groups > 1 ? spec.groups : undefined,
    stride: strideAt('3x3'),
    ...bnOf(mid),
  });
  y = t.convBn({ name: increase, bottom: y, out, bias: false, kernel: 1, stride: 1, ...bnOf(increase, false) });
  const gate = seGate(t, { unit: name, bottom: y, channels: out });
  const shortcut = b.first
    ? t.convBn({ name: projection, bottom: x, out, bias: false, pad: proj === 3 ? 1 : undefined, kernel: proj, stride: b.stride, ...bnOf(projection, false) })
    : x;
  return t.relu({ name: `${name}/relu`, bottom: residual(t, { name, branch: y, shortcut, gate }) });
}

export function buildResidual(spec: ResidualSpec, opts: ArchOptions): NetBuilder {
  const t = new ArchContext(opts, spec.name, RELEASE);
  let x = stem(t, spec.stem, t.data());
  for (const b of blocks(spec.stages)) x = unit(t, spec, b, x);
  x = t.finalPool({ name: 'pool5/7x7_s1', bottom: x, kernel: 7 });
  if (spec.dropout !== undefined) x = t.dropout({ name: 'pool5/dropout_7x7_s1', bottom: x, ratio: spec.dropout });
  t.head({ name: 'classifier', bottom: x });
  return t.n;
}

export const seResNet = (depth: ResNetDepth): ResidualSpec => ({
  ...resnet(`SE-ResNet-${depth}`, depth),
  stem: 'conv7x7',
  reduceRatio: 1,
});

/** SE-ResNeXt (32 x 4d): 32 groups of 4 channels in stage 2, doubling per stage. */
export const seResNeXt = (depth: 50 | 101): ResidualSpec => ({
  ...resnext(`SE-ResNeXt-${depth} (32 x 4d)`, depth),
  stem: 'conv7x7',
  reduceRatio: 1,
});

/** SENet-154: 64 groups, the 1x1 reduce at half the grouped width, 3x3 projections from conv3. */
export const seNet154 = (): ResidualSpec => ({
  name: 'SENet',
  stem: 'conv3x3x3',
  stages: [
    { stage: 'conv2', blocks: 3, width: 256, out: 256, stride: 1 },
    { stage: 'conv3', blocks: 8, width: 512, out: 512, stride: 2, proj: 3 },
    { stage: 'conv4', blocks: 36, width: 1024, out: 1024, stride: 2, proj: 3 },
    { stage: 'conv5', blocks: 3, width: 2048, out: 2048, stride: 2, proj: 3 },
  ],
  groups: 64,
  reduceRatio: 0.5,
  strideAt: '3x3',
  // Stored as float32 in Caffe; the exact value makes the built net equal the parsed file.
  dropout: Math.fround(0.2),
});
