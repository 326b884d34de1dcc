/**
 * The Squeeze-and-Excitation block, in the SENet release's layer names:
 *   gate = Sigmoid(conv_up(ReLU(conv_down(AVE_global_pool(x)))))   (`<p>_global_pool`, `<p>_1x1_down`,
 *   `<p>_1x1_down/relu`, `<p>_1x1_up`, `<p>_prob`), then the gate scales x channel-wise.
 *
 * Applying the gate comes in two flavours. `official` fuses scaling and the residual sum into the
 * release's `Axpy` layer (top = gate * branch + shortcut). `bvlc` computes the same thing with stock
 * BVLC Caffe layers: Reshape the N x C x 1 x 1 gate to N x C, a two-bottom Scale with axis 0 (one
 * factor per sample and channel), then an Eltwise SUM. Only Axpy/Scale/Reshape/Eltwise differ, and they
 * have no weights, so the learnable layers keep their names and an official caffemodel loads into
 * either flavour by layer name.
 */
import type { Top } from '../../builder';
import { UsageError } from '../../errors';
import type { ArchContext } from './context';

/** Squeeze and excitation: returns the sigmoid gate (N x C x 1 x 1) for `x` with `channels` channels. */
export function seGate(ctx: ArchContext, prefix: string, x: Top, channels: number): Top {
  const { n } = ctx;
  const squeezed = Math.floor(channels / ctx.opts.reduction);
  if (squeezed < 1) {
    throw new UsageError(`SE reduction ${ctx.opts.reduction} leaves no channels in '${prefix}_1x1_down' (${channels} channels in)`);
  }
  const pooled = n.pool(`${prefix}_global_pool`, x, { pool: 'AVE', engine: 'CAFFE', global_pooling: true });
  let y = ctx.conv(`${prefix}_1x1_down`, pooled, { num_output: squeezed, kernel_size: 1, stride: 1 });
  y = n.relu(`${prefix}_1x1_down/relu`, y);
  y = ctx.conv(`${prefix}_1x1_up`, y, { num_output: channels, kernel_size: 1, stride: 1 });
  // In place, as in the release: the up-conv's blob holds the gate afterwards.
  return n.sigmoid(`${prefix}_prob`, y, true);
}

/** `x * gate` (channel-wise) with stock layers: Reshape to N x C, then two-bottom Scale on axis 0. */
export function seScale(ctx: ArchContext, prefix: string, x: Top, gate: Top, out: string): Top {
  const { n } = ctx;
  const flat = n.reshape(`${prefix}_prob_reshape`, gate, { shape: { dim: [0, 0] } });
  return n.add1('Scale', `${prefix}_scale`, [x, flat], { scale_param: { axis: 0, bias_term: false } }, { tops: [out] });
}

/**
 * The end of an SE residual unit: `gate * branch + shortcut`, as one layer named `out` (Axpy) in the
 * official flavour, or `<prefix>_scale` + Eltwise `out` in the bvlc flavour. Without a gate (SE off)
 * it is the plain residual sum.
 */
export function seResidual(ctx: ArchContext, prefix: string, gate: Top | undefined, branch: Top, shortcut: Top, out: string): Top {
  const { n } = ctx;
  if (gate === undefined) return n.eltwise(out, [branch, shortcut]);
  if (ctx.opts.flavor === 'official') return n.axpy(out, gate, branch, shortcut);
  const scaled = seScale(ctx, prefix, branch, gate, `${prefix}_scale`);
  return n.eltwise(out, [scaled, shortcut]);
}
