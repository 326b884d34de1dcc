/**
 * What a conversion target implements: one emitter turning the target-neutral NetPlan into its
 * model. The stages before (prepare, class order, fold/fuse) and after (metadata) are shared.
 */
import type { ConvertTarget } from '../layers';
import type { Layout4 } from '../model-metadata';
import type { NetPlan } from './plan';

export interface EmitProgress {
  done: number;
  total: number;
  layer: string;
}

/** What the metadata stage needs from every emitter's result. */
export interface EmitResult {
  /** Name of the model's input tensor. */
  inputName: string;
  /** Layout of the model's input: 'NHWC' when callers' NCHW is transposed at the boundary. */
  inputLayout: Layout4;
  /** Layout of rank-4 intermediate tensors. */
  tensorLayout: Layout4;
  /** Caffe blob name -> tensor name holding its value, for every blob the model holds. */
  blobToTensor: ReadonlyMap<string, string>;
}

export interface Emitter<R extends EmitResult> {
  /** The key of LayerConverters whose functions this emitter calls. */
  readonly target: ConvertTarget;
  /** Whether it applies PlannedLayer.activation (fused activations); if not, the plan keeps them as layers. */
  readonly fusesActivations: boolean;
  /** The plan's `outputs` become the model's outputs; progress once per plan layer, then done. */
  emit(plan: NetPlan, onProgress?: (p: EmitProgress) => void): R;
}
