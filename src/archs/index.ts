/** Architectures: one generator per family, written with the typed builder. */
export { archs, findArch, resolveOptions } from './registry';
export { senetArchs } from './senet';
export { generatedFiles, GENERATED_DIR_NAME } from './generated';
export type { ArchEntry, ArchOptions, Flavor, Phase, TrainDataOptions } from './types';
