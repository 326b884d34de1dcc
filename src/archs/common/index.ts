/** Building blocks shared by the architecture families (phase-aware context, SE block). */
export { ArchContext, DEFAULT_TRAIN_STYLE } from './context';
export type { BnNames, TrainStyle } from './context';
export { seGate, seResidual, seScale } from './se';
