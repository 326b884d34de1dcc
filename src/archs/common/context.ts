/**
 * The one context every architecture is written against, in the spirit of pycaffe's net_spec: each
 * layer is a call with a parameter object naming its bottom and settings, and returns its top. The
 * context decides what the deploy and the train/test nets differ in (data layers, fillers and
 * multipliers, BatchNorm's statistics mode, the head), following the family's `Convention`.
 * Optional settings are written only when given: the published files differ in which defaults they
 * spell out, and the generated files match them.
 */
import { NetBuilder, type Loose, type Top } from '../../builder';
import { UsageError } from '../../errors';
import type { ConvolutionParameter, PoolingParameter } from '../../schema';
import type { ArchOptions } from '../types';
import type { Convention, Recipe } from './conventions';
import { dataLayers } from './data';

export interface Named {
  name: string;
  bottom: Top;
}

export interface ConvSpec extends Named {
  /** num_output */
  out: number;
  kernel: number;
  stride?: number;
  pad?: number;
  group?: number;
  /** Caffe's default is a bias; `false` writes `bias_term: false`. */
  bias?: boolean;
  /** Train-phase recipe; the convention's unless given. */
  recipe?: Recipe;
}

/** The layers after a convolution: BatchNorm, its Scale and an optional ReLU (`relu` names it). */
export interface BnSpec {
  bn: string;
  scale: string;
  relu?: string;
}

export interface PoolSpec extends Named {
  pool: 'MAX' | 'AVE';
  kernel?: number;
  stride?: number;
  pad?: number;
  global?: true;
  engine?: PoolingParameter['engine'];
}

export class ArchContext {
  readonly n: NetBuilder;
  /** The label blob, set by `data()` in the train phase. */
  private labelTop?: Top;

  constructor(
    readonly opts: ArchOptions,
    name: string,
    readonly convention: Convention,
  ) {
    const netName = convention.phaseSuffix ? `${name}_${opts.phase === 'train' ? 'train_test' : 'deploy'}` : name;
    this.n = new NetBuilder(netName, { comments: [...convention.comments] });
    if (opts.phase === 'train' && opts.train === undefined) {
      throw new UsageError('the train phase needs data options (--source and --test-source)');
    }
  }

  get train(): boolean {
    return this.opts.phase === 'train';
  }

  /** The input blob 'data' (and, in the train phase, 'label'); see `dataLayers`. */
  data(): Top {
    const { data, label } = dataLayers(this.n, this.opts);
    this.labelTop = label;
    return data;
  }

  /** The label blob of the train phase. */
  get label(): Top {
    if (this.labelTop === undefined) throw new Error('label requested before data() in the train phase');
    return this.labelTop;
  }

  conv(c: ConvSpec): Top {
    const p: Loose<ConvolutionParameter> = {
      num_output: c.out,
      bias_term: c.bias === false ? false : undefined,
      pad: c.pad,
      kernel_size: c.kernel,
      group: c.group,
      stride: c.stride,
    };
    if (!this.train) return this.n.conv(c.name, c.bottom, p);
    const { weight_filler, bias_filler, param } = (c.recipe ?? this.convention.conv)(c.bias !== false);
    return this.n.conv(c.name, c.bottom, { ...p, weight_filler, bias_filler }, param ? { param } : {});
  }

  /** InnerProduct (always with a bias). */
  fc(c: Named & { out: number }): Top {
    if (!this.train) return this.n.fc(c.name, c.bottom, { num_output: c.out });
    const { weight_filler, bias_filler, param } = this.convention.fc(true);
    return this.n.fc(c.name, c.bottom, { num_output: c.out, weight_filler, bias_filler }, param ? { param } : {});
  }

  batchNorm(c: Named & { inPlace?: boolean }): Top {
    const inPlace = c.inPlace ?? true;
    const rule = this.convention.batchNorm(this.train);
    if (rule === undefined) return this.n.add1('BatchNorm', c.name, c.bottom, {}, { inPlace });
    return this.n.batchNorm(c.name, c.bottom, rule.p, rule.param ? { param: rule.param } : {}, inPlace);
  }

  /** BatchNorm (in place unless `inPlace` is false) + Scale + optional ReLU. */
  bn(c: BnSpec & { bottom: Top; inPlace?: boolean }): Top {
    const y = this.batchNorm({ name: c.bn, bottom: c.bottom, inPlace: c.inPlace });
    const s = this.n.scale(c.scale, y, this.convention.scale(this.train));
    return c.relu === undefined ? s : this.relu({ name: c.relu, bottom: s });
  }

  /** Convolution followed by `bn`. */
  convBn(c: ConvSpec & BnSpec): Top {
    return this.bn({ ...c, bottom: this.conv(c) });
  }

  relu(c: Named): Top {
    return this.n.relu(c.name, c.bottom);
  }

  prelu(c: Named): Top {
    return this.n.add1('PReLU', c.name, c.bottom, {}, { inPlace: true });
  }

  sigmoid(c: Named & { inPlace?: boolean }): Top {
    return this.n.sigmoid(c.name, c.bottom, c.inPlace);
  }

  pool(c: PoolSpec): Top {
    return this.n.pool(c.name, c.bottom, {
      pool: c.pool,
      engine: c.engine,
      kernel_size: c.kernel,
      stride: c.stride,
      pad: c.pad,
      global_pooling: c.global,
    });
  }

  /**
   * Final spatial average pool. At the reference input size (`at`, 224 unless given) the published
   * fixed kernel is kept (e.g. 7x7); at any other size `global_pooling` covers whatever map results.
   */
  finalPool(c: Named & { kernel: number; at?: number }): Top {
    const fixed = this.opts.inputSize === (c.at ?? 224);
    return this.pool({ name: c.name, bottom: c.bottom, pool: 'AVE', ...(fixed ? { kernel: c.kernel, stride: 1 } : { global: true }) });
  }

  dropout(c: Named & { ratio: number; inPlace?: boolean }): Top {
    return this.n.dropout(c.name, c.bottom, { dropout_ratio: c.ratio }, c.inPlace ?? true);
  }

  concat(c: { name: string; bottoms: readonly Top[]; axis?: number }): Top {
    return this.n.concat(c.name, c.bottoms, c.axis === undefined ? {} : { axis: c.axis });
  }

  /**
   * The classifier `name` and the output. Deploy: Softmax 'prob' (unless `prob` is false). Train:
   * SoftmaxWithLoss 'loss' and the convention's Accuracy layers in the TEST phase.
   */
  head(c: Named & { prob?: boolean }): Top {
    const logits = this.fc({ name: c.name, bottom: c.bottom, out: this.opts.numClasses });
    if (!this.train) {
      if (c.prob ?? true) this.n.softmax('prob', logits);
      return logits;
    }
    this.n.add1('SoftmaxWithLoss', 'loss', [logits, this.label]);
    for (const k of this.convention.accuracyTopK) {
      const topK = k === 1 ? {} : { accuracy_param: { top_k: k } };
      this.n.add1('Accuracy', k === 1 ? 'accuracy' : `accuracy_top${k}`, [logits, this.label], { include: { phase: 'TEST' }, ...topK });
    }
    return logits;
  }
}
