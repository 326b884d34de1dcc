/**
 * How a family's files are written: the net's name, the accuracy layers, the residual sum's bottom
 * order, and the train-phase recipe of the learnable layers. The recipes are those of the files each
 * family was published with; deploy nets differ only in BatchNorm's parameter.
 *
 * - `RELEASE` (the SENet release): msra weights, zero biases, every learnable layer with lr/decay
 *   multipliers (biases 2/0), BatchNorm with stored statistics in deploy and batch statistics in
 *   train, top-1 and top-5 accuracy.
 * - `KAIMING` (the toolkit's ResNet-50 train_test): bare BatchNorm/Scale in both phases, convolutions
 *   get only an msra weight filler in train, the classifier nothing.
 * - `DENSENET` (the toolkit's DenseNet-121 train): BatchNorm says `use_global_stats` (true in deploy,
 *   false in train with three lr_mult 0 params), Scale constant fillers 1/0, biased layers
 *   multipliers 1/1 and 2/0 with a constant bias filler, the classifier xavier.
 * - `PLAIN` (toolkit nets without BatchNorm): biased convs msra/constant, the classifier xavier.
 * The toolkit's conventions name the net `<name>_train_test` / `<name>_deploy` and put the shortcut
 * first in a plain residual sum, as Kaiming He's files do.
 */
import type { LayerFields, Loose } from '../../builder';
import type { BatchNormParameter, FillerParameter, ScaleParameter } from '../../schema';

/** What a Convolution or InnerProduct gets in the train phase. */
export interface Learnable {
  weight_filler?: Loose<FillerParameter>;
  bias_filler?: Loose<FillerParameter>;
  param?: LayerFields['param'];
}

/** The train-phase recipe of a learnable layer, by whether it has a bias. */
export type Recipe = (bias: boolean) => Learnable;

export interface Convention {
  /** Append `_train_test` / `_deploy` to the net's name. */
  phaseSuffix: boolean;
  /** Comment lines printed after the name line. */
  comments: readonly string[];
  /** top_k of each TEST-phase Accuracy layer (`accuracy`, `accuracy_top<k>`). */
  accuracyTopK: readonly number[];
  /** Bottom order of a residual Eltwise without SE. */
  residualSum: 'branch-first' | 'shortcut-first';
  conv: Recipe;
  fc: Recipe;
  /** BatchNorm's `batch_norm_param` and `param` in a phase; `undefined`: a bare layer. */
  batchNorm(train: boolean): { p: Loose<BatchNormParameter>; param?: LayerFields['param'] } | undefined;
  /** The Scale after a BatchNorm in a phase. */
  scale(train: boolean): Loose<ScaleParameter>;
}

const MSRA: Loose<FillerParameter> = { type: 'msra' };
const XAVIER: Loose<FillerParameter> = { type: 'xavier' };
const CONSTANT: Loose<FillerParameter> = { type: 'constant' };
const WEIGHT_MULT = { lr_mult: 1, decay_mult: 1 };
/** Biases learn twice as fast, without weight decay. */
const BIAS_MULT = { lr_mult: 2, decay_mult: 0 };
const WITH_BIAS = { bias_term: true };

/** The SENet release's recipe, also used for the SE modules of every family. */
export const RELEASE_RECIPE: Recipe = (bias) => ({
  weight_filler: MSRA,
  bias_filler: bias ? { type: 'constant', value: 0 } : undefined,
  param: bias ? [WEIGHT_MULT, BIAS_MULT] : [WEIGHT_MULT],
});

export const RELEASE: Convention = {
  phaseSuffix: false,
  comments: ['mean_value: 104, 117, 123'],
  accuracyTopK: [1, 5],
  residualSum: 'branch-first',
  conv: RELEASE_RECIPE,
  fc: RELEASE_RECIPE,
  // Nothing set in train: Caffe then uses batch statistics in TRAIN and the stored ones in TEST.
  batchNorm: (train) => ({ p: train ? {} : { use_global_stats: true } }),
  scale: () => WITH_BIAS,
};

const TOOLKIT = { phaseSuffix: true, comments: [], accuracyTopK: [1], residualSum: 'shortcut-first' } as const;

/** Biased layers of the toolkit's DenseNet and plain nets. */
const biasedRecipe = (weight_filler: Loose<FillerParameter>): Recipe => (bias) =>
  bias ? { weight_filler, bias_filler: CONSTANT, param: [WEIGHT_MULT, BIAS_MULT] } : { weight_filler };

export const KAIMING: Convention = {
  ...TOOLKIT,
  conv: () => ({ weight_filler: MSRA }),
  fc: () => ({}),
  batchNorm: () => undefined,
  scale: () => WITH_BIAS,
};

/** Caffe computes the statistics itself: the three blobs must not be touched by the solver. */
const FROZEN = { lr_mult: 0, decay_mult: 0 };

export const DENSENET: Convention = {
  ...TOOLKIT,
  conv: biasedRecipe(MSRA),
  fc: () => biasedRecipe(XAVIER)(true),
  batchNorm: (train) => (train ? { p: { use_global_stats: false }, param: [FROZEN, FROZEN, FROZEN] } : { p: { use_global_stats: true } }),
  scale: (train) => (train ? { filler: { value: 1 }, bias_term: true, bias_filler: { value: 0 } } : WITH_BIAS),
};

export const PLAIN: Convention = { ...KAIMING, conv: biasedRecipe(MSRA), fc: () => biasedRecipe(XAVIER)(true) };
