/** Architectures: one generator per family, written with the typed builder. */
export { archs, findArch, resolveOptions } from './registry';
export type { ArchEntry, ArchOptions, Flavor, Phase, TrainDataOptions } from './types';
