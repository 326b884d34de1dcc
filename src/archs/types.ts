import type { NetBuilder } from '../builder';

/** Which layers a generated net carries. */
export type Flavor = 'official' | 'bvlc';

/** `deploy`: Input layer + Softmax; `train`: one train/test file with data layers, loss and accuracy. */
export type Phase = 'deploy' | 'train';

/** Options for the data layers of a trainable net (`--phase train`). */
export interface TrainDataOptions {
  /** LMDB/LevelDB path (Data layer) or list file (ImageData layer), per phase. */
  trainSource: string;
  testSource: string;
  /** `lmdb` | `leveldb` for a Data layer; `imagedata` for an ImageData layer with a list file. */
  backend: 'lmdb' | 'leveldb' | 'imagedata';
  testBatch: number;
  meanValues?: number[];
  meanFile?: string;
  scale?: number;
  crop?: number;
  mirror: boolean;
  /** ImageData only: resize before cropping. */
  newHeight?: number;
  newWidth?: number;
  rootFolder?: string;
}

/** Everything a generator is parameterised by; defaults come from the architecture entry. */
export interface ArchOptions {
  se: boolean;
  /** SE reduction ratio r (channels / r in the squeeze). */
  reduction: number;
  inputSize: number;
  batch: number;
  numClasses: number;
  flavor: Flavor;
  phase: Phase;
  train?: TrainDataOptions;
}

/** One generator configuration, addressed by `senet generate ID`. */
export interface ArchEntry {
  id: string;
  family: string;
  /** One line for `senet generate --list`. */
  description: string;
  /** Defaults: SE on for the SENet release, off for the toolkit families. */
  defaults: Pick<ArchOptions, 'se' | 'reduction' | 'inputSize' | 'batch' | 'numClasses'>;
  build(opts: ArchOptions): NetBuilder;
}
