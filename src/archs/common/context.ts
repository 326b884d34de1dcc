/**
 * Phase-aware building blocks shared by every architecture family. An architecture is written once
 * against `ArchContext`; the context decides what the deploy and the train/test nets differ in:
 * the data layers, fillers and learning-rate multipliers, BatchNorm's statistics mode, and the head.
 */
import { NetBuilder, type LayerFields, type Loose, type Top } from '../../builder';
import { UsageError } from '../../errors';
import type { ConvolutionParameter, FillerParameter, InnerProductParameter, ParamSpec } from '../../schema';
import type { ArchOptions, TrainDataOptions } from '../types';

/** How learnable layers are initialised and trained in the train phase. */
export interface TrainStyle {
  weightFiller: Loose<FillerParameter>;
  biasFiller: Loose<FillerParameter>;
  /** `param` specs for weights and biases; `undefined` leaves them out (Caffe's defaults: lr 1, decay 1). */
  weightParam?: Loose<ParamSpec>;
  biasParam?: Loose<ParamSpec>;
}

/** msra weights, zero biases, biases learning twice as fast without weight decay (the common recipe). */
export const DEFAULT_TRAIN_STYLE: TrainStyle = {
  weightFiller: { type: 'msra' },
  biasFiller: { type: 'constant', value: 0 },
  weightParam: { lr_mult: 1, decay_mult: 1 },
  biasParam: { lr_mult: 2, decay_mult: 0 },
};

/** Names of the layers that follow a convolution (BatchNorm, Scale, ReLU); see `convBn`. */
export interface BnNames {
  bn: string;
  scale: string;
  /** Omit for no ReLU. */
  relu?: string;
}

export class ArchContext {
  readonly n: NetBuilder;
  readonly style: TrainStyle;
  /** The label blob, set by `data()` in the train phase. */
  private labelTop?: Top;

  constructor(
    readonly opts: ArchOptions,
    netName: string,
    init: { comments?: string[]; style?: Partial<TrainStyle> } = {},
  ) {
    this.n = new NetBuilder(netName, { comments: init.comments });
    this.style = { ...DEFAULT_TRAIN_STYLE, ...init.style };
    if (opts.phase === 'train' && opts.train === undefined) {
      throw new UsageError('the train phase needs data options (--source and --test-source)');
    }
  }

  get train(): boolean {
    return this.opts.phase === 'train';
  }

  /**
   * The input. Deploy: an Input layer 'data' [batch, 3, size, size]. Train: one data layer per
   * phase (both named 'data', told apart by `include { phase }`) with tops 'data' and 'label'.
   */
  data(): Top {
    const { n, opts } = this;
    if (!this.train) return n.input('data', [opts.batch, 3, opts.inputSize, opts.inputSize]);
    const t = opts.train!;
    let data: Top | undefined;
    for (const phase of ['TRAIN', 'TEST'] as const) {
      const training = phase === 'TRAIN';
      const fields: LayerFields = { include: { phase }, transform_param: transformParam(t, training) };
      const batch = training ? opts.batch : t.testBatch;
      const source = training ? t.trainSource : t.testSource;
      let type: string;
      if (t.backend === 'imagedata') {
        type = 'ImageData';
        fields.image_data_param = {
          source,
          batch_size: batch,
          ...(training ? { shuffle: true } : {}),
          new_height: t.newHeight,
          new_width: t.newWidth,
          root_folder: t.rootFolder,
        };
      } else {
        type = 'Data';
        fields.data_param = { source, batch_size: batch, backend: t.backend === 'lmdb' ? 'LMDB' : 'LEVELDB' };
      }
      // Both are named 'data', Caffe's convention: only one of them exists in either phase.
      const [d, l] = n.add(type, 'data', [], fields, { tops: ['data', 'label'] });
      data ??= d;
      this.labelTop ??= l;
    }
    return data!;
  }

  /** The label blob of the train phase. */
  get label(): Top {
    if (this.labelTop === undefined) throw new Error('label requested before data() in the train phase');
    return this.labelTop;
  }

  /** Convolution; in the train phase with fillers and per-blob learning-rate multipliers. */
  conv(name: string, x: Top, p: Loose<ConvolutionParameter>): Top {
    if (!this.train) return this.n.conv(name, x, p);
    const bias = p.bias_term !== false;
    return this.n.conv(
      name,
      x,
      { ...p, weight_filler: this.style.weightFiller, ...(bias ? { bias_filler: this.style.biasFiller } : {}) },
      this.paramFields(bias),
    );
  }

  /** InnerProduct; in the train phase with fillers and multipliers as `conv`. */
  fc(name: string, x: Top, p: Loose<InnerProductParameter>): Top {
    if (!this.train) return this.n.fc(name, x, p);
    const bias = p.bias_term !== false;
    return this.n.fc(
      name,
      x,
      { ...p, weight_filler: this.style.weightFiller, ...(bias ? { bias_filler: this.style.biasFiller } : {}) },
      this.paramFields(bias),
    );
  }

  private paramFields(bias: boolean): LayerFields {
    const { weightParam, biasParam } = this.style;
    if (weightParam === undefined) return {};
    return { param: bias ? [weightParam, biasParam ?? {}] : [weightParam] };
  }

  /**
   * In-place BatchNorm: stored statistics in deploy (`use_global_stats: true`); in the train phase
   * nothing is set, so Caffe uses batch statistics in TRAIN and the stored ones in TEST.
   */
  batchNorm(name: string, x: Top): Top {
    return this.n.batchNorm(name, x, this.train ? {} : { use_global_stats: true });
  }

  /** BatchNorm + Scale (with bias) + optional ReLU, all in place. */
  bn(x: Top, names: BnNames): Top {
    let y = this.batchNorm(names.bn, x);
    y = this.n.scale(names.scale, y, { bias_term: true });
    return names.relu === undefined ? y : this.n.relu(names.relu, y);
  }

  /** Convolution followed by `bn`. */
  convBn(name: string, x: Top, p: Loose<ConvolutionParameter>, names: BnNames): Top {
    return this.bn(this.conv(name, x, p), names);
  }

  /**
   * Final spatial average pool. At the reference input size the release's fixed kernel is kept
   * (e.g. 7x7 at 224); at any other size `global_pooling` covers whatever map size results.
   */
  finalPool(name: string, x: Top, officialKernel: number, officialInput = 224): Top {
    const p = this.opts.inputSize === officialInput
      ? { pool: 'AVE' as const, kernel_size: officialKernel, stride: 1 }
      : { pool: 'AVE' as const, global_pooling: true };
    return this.n.pool(name, x, p);
  }

  /**
   * Classifier and output. Deploy: InnerProduct + Softmax 'prob'. Train: InnerProduct +
   * SoftmaxWithLoss 'loss', and top-1/top-5 Accuracy in the TEST phase.
   */
  head(x: Top, fcName = 'classifier'): Top {
    const { n } = this;
    const logits = this.fc(fcName, x, { num_output: this.opts.numClasses });
    if (!this.train) {
      n.softmax('prob', logits);
      return logits;
    }
    n.add('SoftmaxWithLoss', 'loss', [logits, this.label]);
    n.add('Accuracy', 'accuracy', [logits, this.label], { include: { phase: 'TEST' } });
    n.add('Accuracy', 'accuracy_top5', [logits, this.label], { include: { phase: 'TEST' }, accuracy_param: { top_k: 5 } });
    return logits;
  }
}

function transformParam(t: TrainDataOptions, training: boolean): LayerFields['transform_param'] {
  return {
    scale: t.scale,
    mirror: training ? t.mirror : false,
    crop_size: t.crop,
    mean_file: t.meanFile,
    mean_value: t.meanValues,
  };
}
