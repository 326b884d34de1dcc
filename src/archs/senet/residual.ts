/**
 * SE-ResNet, SE-ResNeXt and SENet-154: one bottleneck generator, three tables. Layer names follow
 * the release: `conv<stage>_<block>_{1x1_reduce,3x3,1x1_increase,1x1_proj}`, the SE block under
 * `conv<stage>_<block>_*`, and the unit's output blob `conv<stage>_<block>`.
 */
import type { NetBuilder, Top } from '../../builder';
import { ArchContext, seGate, seResidual } from '../common';
import type { ArchOptions } from '../types';

/** One row of the paper's table: `blocks` units whose grouped/3x3 conv has `width` outputs, `out` channels. */
export interface Stage {
  blocks: number;
  /** Outputs of the 3x3 (grouped) conv. */
  width: number;
  /** Outputs of the unit (the 1x1 increase and the projection). */
  out: number;
  /** Stride of the stage's first unit. */
  stride: number;
}

export interface ResidualSpec {
  netName: string;
  stem: 'conv7x7' | 'conv3x3x3';
  stages: Stage[];
  /** Groups of the 3x3 conv (1: plain ResNet). */
  groups: number;
  /** The 1x1 reduce has width * reduceRatio outputs. */
  reduceRatio: number;
  /** Where a stage's stride sits: the first 1x1 (ResNet) or the 3x3 (ResNeXt, SENet-154). */
  strideAt: '1x1' | '3x3';
  /** Projection shortcut kernel per stage index (0-based): SENet-154 uses 3x3 from stage 3 on. */
  projKernel: (stageIndex: number) => 1 | 3;
  /** Dropout ratio before the classifier (SENet-154: 0.2). */
  dropout?: number;
}

/** Stage rows `[blocks, width, out, stride]`, as printed in the paper's tables. */
export function stages(rows: [number, number, number, number][]): Stage[] {
  return rows.map(([blocks, width, out, stride]) => ({ blocks, width, out, stride }));
}

function stem(ctx: ArchContext, kind: ResidualSpec['stem'], x: Top): Top {
  const bnNames = (conv: string, relu: string) => ({ bn: `${conv}/bn`, scale: `${conv}/bn/scale`, relu });
  if (kind === 'conv7x7') {
    x = ctx.convBn('conv1/7x7_s2', x, { num_output: 64, bias_term: false, pad: 3, kernel_size: 7, stride: 2 }, bnNames('conv1/7x7_s2', 'conv1/relu_7x7_s2'));
  } else {
    // SENet-154's stem: three 3x3 convs (64, 64, 128), the first with stride 2.
    x = ctx.convBn('conv1_1/3x3_s2', x, { num_output: 64, bias_term: false, pad: 1, kernel_size: 3, stride: 2 }, bnNames('conv1_1/3x3_s2', 'conv1_1/relu_3x3_s2'));
    x = ctx.convBn('conv1_2/3x3', x, { num_output: 64, bias_term: false, pad: 1, kernel_size: 3, stride: 1 }, bnNames('conv1_2/3x3', 'conv1_2/relu_3x3'));
    x = ctx.convBn('conv1_3/3x3', x, { num_output: 128, bias_term: false, pad: 1, kernel_size: 3, stride: 1 }, bnNames('conv1_3/3x3', 'conv1_3/relu_3x3'));
  }
  return ctx.n.pool('pool1/3x3_s2', x, { pool: 'MAX', kernel_size: 3, stride: 2 });
}

/** One bottleneck unit: 1x1 reduce, 3x3 (grouped), 1x1 increase, SE gate, shortcut, sum, ReLU. */
function unit(ctx: ArchContext, spec: ResidualSpec, stageIndex: number, name: string, x: Top, s: Stage, stride: number, project: boolean): Top {
  const bn = (conv: string, relu = true) => ({ bn: `${conv}/bn`, scale: `${conv}/bn/scale`, relu: relu ? `${conv}/relu` : undefined });
  const reduce = `${name}_1x1_reduce`;
  const mid = `${name}_3x3`;
  const increase = `${name}_1x1_increase`;
  let y = ctx.convBn(reduce, x, { num_output: s.width * spec.reduceRatio, bias_term: false, kernel_size: 1, stride: spec.strideAt === '1x1' ? stride : 1 }, bn(reduce));
  y = ctx.convBn(
    mid,
    y,
    { num_output: s.width, bias_term: false, pad: 1, kernel_size: 3, ...(spec.groups > 1 ? { group: spec.groups } : {}), stride: spec.strideAt === '3x3' ? stride : 1 },
    bn(mid),
  );
  y = ctx.convBn(increase, y, { num_output: s.out, bias_term: false, kernel_size: 1, stride: 1 }, bn(increase, false));
  const gate = ctx.opts.se ? seGate(ctx, name, y, s.out) : undefined;
  let shortcut = x;
  if (project) {
    const proj = `${name}_1x1_proj`;
    const k = spec.projKernel(stageIndex);
    shortcut = ctx.convBn(proj, x, { num_output: s.out, bias_term: false, ...(k === 3 ? { pad: 1 } : {}), kernel_size: k, stride }, bn(proj, false));
  }
  const sum = seResidual(ctx, name, gate, y, shortcut, name);
  return ctx.n.relu(`${name}/relu`, sum);
}

export function buildResidual(spec: ResidualSpec, opts: ArchOptions): NetBuilder {
  const ctx = new ArchContext(opts, spec.netName, { comments: ['mean_value: 104, 117, 123'] });
  let x = stem(ctx, spec.stem, ctx.data());
  spec.stages.forEach((s, i) => {
    for (let b = 1; b <= s.blocks; b++) {
      // The first unit of each stage changes width (and resolution), so it needs a projection.
      x = unit(ctx, spec, i, `conv${i + 2}_${b}`, x, s, b === 1 ? s.stride : 1, b === 1);
    }
  });
  x = ctx.finalPool('pool5/7x7_s1', x, 7);
  if (spec.dropout !== undefined) x = ctx.n.dropout('pool5/dropout_7x7_s1', x, { dropout_ratio: spec.dropout });
  ctx.head(x, 'classifier');
  return ctx.n;
}

/** Standard depths of the bottleneck ResNets. */
export const DEPTHS = { 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3] } as const;

export function seResNet(depth: keyof typeof DEPTHS): ResidualSpec {
  const [a, b, c, d] = DEPTHS[depth];
  return {
    netName: `SE-ResNet-${depth}`,
    stem: 'conv7x7',
    stages: stages([
      [a, 64, 256, 1],
      [b, 128, 512, 2],
      [c, 256, 1024, 2],
      [d, 512, 2048, 2],
    ]),
    groups: 1,
    reduceRatio: 1,
    strideAt: '1x1',
    projKernel: () => 1,
  };
}

/** SE-ResNeXt (32 x 4d): 32 groups of 4 channels in stage 2, doubling per stage. */
export function seResNeXt(depth: 50 | 101): ResidualSpec {
  const [a, b, c, d] = DEPTHS[depth];
  return {
    netName: `SE-ResNeXt-${depth} (32 x 4d)`,
    stem: 'conv7x7',
    stages: stages([
      [a, 128, 256, 1],
      [b, 256, 512, 2],
      [c, 512, 1024, 2],
      [d, 1024, 2048, 2],
    ]),
    groups: 32,
    reduceRatio: 1,
    strideAt: '3x3',
    projKernel: () => 1,
  };
}

/** SENet-154: 64 groups, the 1x1 reduce at half the grouped width, 3x3 projections from stage 3. */
export function seNet154(): ResidualSpec {
  const [a, b, c, d] = DEPTHS[152];
  return {
    netName: 'SENet',
    stem: 'conv3x3x3',
    stages: stages([
      [a, 256, 256, 1],
      [b, 512, 512, 2],
      [c, 1024, 1024, 2],
      [d, 2048, 2048, 2],
    ]),
    groups: 64,
    reduceRatio: 0.5,
    strideAt: '3x3',
    projKernel: (i) => (i === 0 ? 1 : 3),
    // Stored as float32 in Caffe; the exact value makes the built net equal the parsed file.
    dropout: Math.fround(0.2),
  };
}
