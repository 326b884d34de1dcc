/**
 * The seed toolkit's layer conventions, shared by the toolkit families.
 *
 * The toolkit wrote two kinds of trainable nets, and its deploy nets follow the same split:
 * - `kaiming` (ResNet-50 train_test): bare BatchNorm/Scale in both phases, convolutions get only
 *   an msra weight filler in train, the classifier gets nothing.
 * - `densenet` (DenseNet-121 train): BatchNorm says `use_global_stats` (true in deploy, false in
 *   train, with three lr_mult 0 params), Scale gets constant fillers 1/0, biased layers get
 *   lr/decay multipliers 1/1 and 2/0 and constant bias fillers, the classifier xavier.
 * Families the toolkit only published deploy files for use `kaiming` for BN nets and `plain`
 * (biased convs, msra/constant, multipliers 1/1, 2/0, classifier xavier) for the others.
 */
import type { LayerFields, Loose, NetBuilder, Top } from '../../builder';
import type { ConvolutionParameter, FillerParameter, InnerProductParameter } from '../../schema';
import { ArchContext } from '../common/context';
import type { ArchOptions } from '../types';

export type Convention = 'kaiming' | 'densenet' | 'plain';

const MSRA: Loose<FillerParameter> = { type: 'msra' };
const XAVIER: Loose<FillerParameter> = { type: 'xavier' };
const CONSTANT: Loose<FillerParameter> = { type: 'constant' };
const BIASED_PARAMS: LayerFields['param'] = [
  { lr_mult: 1, decay_mult: 1 },
  { lr_mult: 2, decay_mult: 0 },
];

/** One net under construction: the builder, the options and the layer conventions. */
export class ToolkitNet {
  readonly train: boolean;
  /** The shared context: data layers and SE modules come from there. */
  readonly ctx: ArchContext;
  readonly n: NetBuilder;

  constructor(
    readonly o: ArchOptions,
    netName: string,
    readonly convention: Convention,
  ) {
    this.ctx = new ArchContext(o, netName);
    this.n = this.ctx.n;
    this.train = o.phase === 'train';
  }

  /**
   * A convolution in the toolkit's spelling: pad, kernel_size and stride always written, bias
   * off unless `bias`.
   */
  conv(name: string, x: Top, numOutput: number, kernel: number, stride: number, pad: number, opts: { bias?: boolean; group?: number } = {}): Top {
    const bias = opts.bias ?? false;
    const p: Loose<ConvolutionParameter> = { num_output: numOutput };
    if (!bias) p.bias_term = false;
    p.pad = pad;
    p.kernel_size = kernel;
    if (opts.group !== undefined) p.group = opts.group;
    p.stride = stride;
    const fields: LayerFields = {};
    if (this.train) {
      p.weight_filler = MSRA;
      if (bias && this.convention !== 'kaiming') {
        p.bias_filler = CONSTANT;
        fields.param = BIASED_PARAMS;
      }
    }
    return this.n.conv(name, x, p, fields);
  }

  /** BatchNorm (in place unless `inPlace` is false). */
  bn(name: string, x: Top, inPlace = true): Top {
    // A bare layer, as the toolkit wrote it (the builder's batchNorm always writes batch_norm_param).
    if (this.convention !== 'densenet') return this.n.add1('BatchNorm', name, x, {}, { inPlace });
    if (!this.train) return this.n.batchNorm(name, x, { use_global_stats: true }, {}, inPlace);
    // Caffe computes the statistics itself: the three blobs must not be touched by the solver.
    const frozen = { lr_mult: 0, decay_mult: 0 };
    return this.n.batchNorm(name, x, { use_global_stats: false }, { param: [frozen, frozen, frozen] }, inPlace);
  }

  /** The Scale after a BatchNorm (always in place, with a bias). */
  scale(name: string, x: Top): Top {
    if (this.convention === 'densenet' && this.train) {
      return this.n.scale(name, x, { filler: { value: 1 }, bias_term: true, bias_filler: { value: 0 } });
    }
    return this.n.scale(name, x, { bias_term: true });
  }

  /** The classifier (or VGG's hidden fully connected layers). */
  fc(name: string, x: Top, numOutput: number): Top {
    const p: Loose<InnerProductParameter> = { num_output: numOutput };
    const fields: LayerFields = {};
    if (this.train && this.convention !== 'kaiming') {
      p.weight_filler = XAVIER;
      p.bias_filler = CONSTANT;
      fields.param = BIASED_PARAMS;
    }
    return this.n.fc(name, x, p, fields);
  }

  /** Deploy: an Input blob `data`; train: the data layers of both phases (plus `label`). */
  input(): { data: Top; label?: Top } {
    const data = this.ctx.data();
    return this.train ? { data, label: this.ctx.label } : { data };
  }

  /**
   * The toolkit's fixed-kernel average pool at the reference input size; at other sizes global
   * pooling, as the shared `finalPool` does, so any input size builds.
   */
  finalPool(name: string, x: Top, kernel: number, referenceInput: number): Top {
    return this.ctx.finalPool(name, x, kernel, referenceInput);
  }

  /**
   * Deploy: `prob` (Softmax) unless the family has none; train: SoftmaxWithLoss `loss` and, in
   * the TEST phase, `accuracy`.
   */
  head(logits: Top, label: Top | undefined, opts: { prob?: boolean; accuracy?: boolean } = {}): void {
    if (!this.train) {
      if (opts.prob ?? true) this.n.softmax('prob', logits);
      return;
    }
    if (label === undefined) throw new Error('train nets have a label blob');
    this.n.add1('SoftmaxWithLoss', 'loss', [logits, label]);
    if (opts.accuracy ?? true) this.n.add1('Accuracy', 'accuracy', [logits, label], { include: { phase: 'TEST' } });
  }
}
