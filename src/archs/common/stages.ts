/**
 * The stage table of the residual families, one row per stage as the papers' Table 1 prints it
 * (He et al. 2015; Xie et al. 2016; Zagoruyko & Komodakis 2016; Hu et al. 2018), and the ResNet
 * and ResNeXt tables that the toolkit and the SENet release share.
 */

export interface StageRow {
  /** The paper's name of the stage, `conv<N>` (its blocks are conv<N>_x). */
  stage: string;
  blocks: number;
  /** Outputs of the block's 3x3 (grouped) convolutions. */
  width: number;
  /** Outputs of the block (and of the first block's projection shortcut). */
  out: number;
  /** Stride of the stage's first block. */
  stride: number;
  /** Kernel of the projection shortcut, 1 unless given (SENet-154: 3 from conv3 on). */
  proj?: 1 | 3;
}

export type StageTable = readonly StageRow[];

/** One block of a stage table, in build order. */
export interface Block {
  row: StageRow;
  /** N of the stage's `conv<N>`. */
  stage: number;
  /** 1-based position in the stage. */
  index: number;
  /** The first block of a stage changes width (and resolution): it strides and projects. */
  first: boolean;
  stride: number;
}

export function blocks(table: StageTable): Block[] {
  return table.flatMap((row) => {
    const m = /^conv(\d+)$/.exec(row.stage);
    if (m === null) throw new Error(`stage '${row.stage}' is not named conv<N>`);
    return Array.from({ length: row.blocks }, (_, i) => ({ row, stage: Number(m[1]), index: i + 1, first: i === 0, stride: i === 0 ? row.stride : 1 }));
  });
}

/** A bottleneck family: its stage table and what is the same in every stage. */
export interface BottleneckSpec {
  /** Net name ('ResNet-50', 'SE-ResNeXt-50 (32 x 4d)'). */
  name: string;
  stages: StageTable;
  /** Groups of the 3x3 convolution (1: plain ResNet). */
  groups: number;
  /** The stride-2 convolution of a downsampling block: the first 1x1 (ResNet) or the 3x3 (ResNeXt). */
  strideAt: '1x1' | '3x3';
}

export type ResNetDepth = 50 | 101 | 152;

/** Bottleneck ResNet-50/101/152 (He et al. 2015, Table 1; SE-ResNet: Hu et al. 2018, Table 1). */
export const resnetStages = (depth: ResNetDepth): StageTable => [
  { stage: 'conv2', blocks: 3, width: 64, out: 256, stride: 1 },
  { stage: 'conv3', blocks: { 50: 4, 101: 4, 152: 8 }[depth], width: 128, out: 512, stride: 2 },
  { stage: 'conv4', blocks: { 50: 6, 101: 23, 152: 36 }[depth], width: 256, out: 1024, stride: 2 },
  { stage: 'conv5', blocks: 3, width: 512, out: 2048, stride: 2 },
];

/** ResNeXt 32x4d: 32 groups of 4 channels in conv2, doubling per stage (Xie et al. 2016, Table 1). */
export const resnextStages = (depth: 50 | 101): StageTable => [
  { stage: 'conv2', blocks: 3, width: 128, out: 256, stride: 1 },
  { stage: 'conv3', blocks: 4, width: 256, out: 512, stride: 2 },
  { stage: 'conv4', blocks: { 50: 6, 101: 23 }[depth], width: 512, out: 1024, stride: 2 },
  { stage: 'conv5', blocks: 3, width: 1024, out: 2048, stride: 2 },
];

export const resnet = (name: string, depth: ResNetDepth): BottleneckSpec => ({ name, stages: resnetStages(depth), groups: 1, strideAt: '1x1' });
export const resnext = (name: string, depth: 50 | 101): BottleneckSpec => ({ name, stages: resnextStages(depth), groups: 32, strideAt: '3x3' });
