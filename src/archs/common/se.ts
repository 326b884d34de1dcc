/**
 * The Squeeze-and-Excitation block, in the SENet release's layer names:
 *   gate = Sigmoid(conv_up(ReLU(conv_down(AVE_global_pool(x)))))   (`<unit>_global_pool`,
 *   `<unit>_1x1_down`, `<unit>_1x1_down/relu`, `<unit>_1x1_up`, `<unit>_prob`), then the gate scales x
 *   channel-wise. Every family names the SE layers after the unit they recalibrate.
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
import { RELEASE_RECIPE } from './conventions';

export interface SeSpec {
  /** Prefix of the SE layers' names. */
  unit: string;
  bottom: Top;
  /** Channels of `bottom`. */
  channels: number;
}

/**
 * The sigmoid gate (N x C x 1 x 1) for `bottom`, or `undefined` when the net has no SE. Its
 * convolutions follow the release's recipe in every family: it is the one SE modules were trained with.
 */
export function seGate(t: ArchContext, { unit, bottom, channels }: SeSpec): Top | undefined {
  const { se, reduction } = t.opts;
  if (!se) return undefined;
  const squeezed = Math.floor(channels / reduction);
  if (squeezed < 1) {
    throw new UsageError(`SE reduction ${reduction} leaves no channels in '${unit}_1x1_down' (${channels} channels in)`);
  }
  const pooled = t.pool({ name: `${unit}_global_pool`, bottom, pool: 'AVE', engine: 'CAFFE', global: true });
  let y = t.conv({ name: `${unit}_1x1_down`, bottom: pooled, out: squeezed, kernel: 1, stride: 1, recipe: RELEASE_RECIPE });
  y = t.relu({ name: `${unit}_1x1_down/relu`, bottom: y });
  y = t.conv({ name: `${unit}_1x1_up`, bottom: y, out: channels, kernel: 1, stride: 1, recipe: RELEASE_RECIPE });
  // In place, as in the release: the up-conv's blob holds the gate afterwards.
  return t.sigmoid({ name: `${unit}_prob`, bottom: y, inPlace: true });
}

/** `x * gate` with stock layers (builder/stock-axpy.ts): Reshape to N x C, then a two-bottom Scale on axis 0 writing `top`. */
function applyGate(t: ArchContext, unit: string, x: Top, gate: Top, top: string): Top {
  return t.n.stockScale(unit, x, gate, top);
}

/**
 * `gate(x) * x` without a residual, written to the blob `top` (`<unit>_scale` unless given); `x`
 * itself when the net has no SE. Both flavours use the stock Reshape + Scale, as the release's own
 * SE-BN-Inception does (Axpy needs a summand).
 */
export function seScale(t: ArchContext, c: SeSpec & { top?: string }): Top {
  const gate = seGate(t, c);
  return gate === undefined ? c.bottom : applyGate(t, c.unit, c.bottom, gate, c.top ?? `${c.unit}_scale`);
}

/**
 * The end of a residual unit, the layer `name`: `gate * branch + shortcut` (Axpy in the official
 * flavour, `<unit>_scale` + Eltwise in bvlc), or without a gate the plain Eltwise sum in the
 * convention's bottom order. `unit` (the SE prefix) defaults to `name`.
 */
export function residual(t: ArchContext, c: { name: string; unit?: string; branch: Top; shortcut: Top; gate: Top | undefined }): Top {
  const { name, branch, shortcut, gate } = c;
  const unit = c.unit ?? name;
  if (gate === undefined) {
    return t.n.eltwise(name, t.convention.residualSum === 'branch-first' ? [branch, shortcut] : [shortcut, branch]);
  }
  if (t.opts.flavor === 'official') return t.n.axpy(name, gate, branch, shortcut);
  // The same stock rewrite `senet portable` applies to Axpy layers (builder/stock-axpy.ts).
  return t.n.stockAxpy(unit, gate, branch, shortcut, name);
}
