/**
 * SE modules in the toolkit families, built from the shared `seGate`/`seResidual`/`seScale` so
 * both flavours work. Naming: the SE layers take the id of the unit they recalibrate as prefix, as
 * the SENet release does (`conv2_1_global_pool` for unit conv2_1):
 * - residual families: the unit's id (ResNet `res2a`, ResNet-v2 `block2_1`, WRN `block_2_1`); the
 *   combining layer keeps the toolkit's name for the sum (`res2a`, `addition_block2_1`, ...).
 * - DenseNet: the dense layer's id (`block_1_1`), gate applied to its new features before concat.
 * - VGG: the stage (`conv5`), after its last conv + ReLU, before the pool.
 * - GoogLeNet: the module (`inception_3a`), with SE-BN-Inception's layout: the concat becomes
 *   `inception_3a/concat` and the gated result keeps the blob name `inception_3a/output`.
 */
import type { Top } from '../../builder';
import { UsageError } from '../../errors';
import { seGate, seResidual as commonSeResidual, seScale as commonSeScale } from '../common/se';
import type { ToolkitNet } from './kit';

function gate(t: ToolkitNet, prefix: string, x: Top, channels: number): Top {
  if (Math.floor(channels / t.o.reduction) < 1) {
    throw new UsageError(`SE reduction ${t.o.reduction} leaves no channels for '${prefix}' (${channels} channels)`);
  }
  return seGate(t.ctx, prefix, x, channels);
}

/** `gate(branch) * branch + shortcut` as the layer `out` (Axpy, or Scale + Eltwise in bvlc). */
export function seResidual(t: ToolkitNet, unit: string, out: string, branch: Top, shortcut: Top, channels: number): Top {
  return commonSeResidual(t.ctx, unit, gate(t, unit, branch, channels), branch, shortcut, out);
}

/**
 * `gate(x) * x` without a residual. Both flavours use the stock Reshape + two-bottom Scale, as the
 * release's own SE-BN-Inception does (Axpy needs a summand). The result is the blob `out`.
 */
export function seScale(t: ToolkitNet, unit: string, x: Top, channels: number, out = `${unit}_scale`): Top {
  return commonSeScale(t.ctx, unit, x, gate(t, unit, x, channels), out);
}
