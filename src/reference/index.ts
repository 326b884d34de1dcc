/**
 * The project's reference: a plain-loop forward pass with Caffe's TEST-phase semantics (float32
 * storage, or float64), deterministic random weights with BatchNorm calibration, and the PRNG
 * they draw from. Each layer type's kernel and init rule live in its handler (src/layers).
 */
export { referenceForward } from './forward';
export type { ReferenceForwardOptions, Tensor, Values } from './forward';
export { randomWeights, residualBranchScales } from './random';
export type { CalibrateOptions, RandomWeightsOptions } from './random';
export { Rng, fnv1a32 } from './prng';
export { FLOAT32, FLOAT64 } from '../layers';
export type { NumericPolicy } from '../layers';
