/** The architecture DSL shared by every family: context, conventions, SE block, stage tables. */
export { ArchContext } from './context';
export type { BnSpec, ConvSpec, Named, PoolSpec } from './context';
export { DENSENET, KAIMING, PLAIN, RELEASE, RELEASE_RECIPE } from './conventions';
export type { Convention, Learnable, Recipe } from './conventions';
export { residual, seGate, seScale } from './se';
export type { SeSpec } from './se';
export { blocks, resnet, resnetStages, resnext, resnextStages } from './stages';
export type { Block, BottleneckSpec, ResNetDepth, StageRow, StageTable } from './stages';
