/**
 * DenseNet-BC (Huang et al. 2017, Table 1): dense blocks of BN-ReLU-conv1x1(4k)-BN-ReLU-conv3x3(k)
 * layers whose outputs are concatenated, transitions halving channels and resolution. The toolkit
 * uses PReLU and dropout 0.2 after every convolution.
 * Naming as the toolkit: block_1_1_1x1_bn, ..._3x3_conv, block_1_1_concat, transition_down_1_*.
 * Its final Scale is called `scale_finel` (sic); the name is kept so its weights still load.
 */
import type { NetBuilder, Top } from '../../builder';
import { ArchContext, DENSENET, seScale } from '../common';
import type { ArchOptions } from '../types';

export interface DenseConfig {
  name: string;
  /** Layers per dense block. */
  blocks: readonly number[];
  growth: number;
  /** Stem width (2k in the paper). */
  stem: number;
  /** Bottleneck width as a multiple of the growth rate. */
  bottleneck: number;
  /** Transition compression. */
  compression: number;
  dropout: number;
}

export const DENSENET_121: DenseConfig = { name: 'DenseNet-121', blocks: [6, 12, 24, 16], growth: 32, stem: 64, bottleneck: 4, compression: 0.5, dropout: 0.2 };

export function buildDenseNet(cfg: DenseConfig, o: ArchOptions): NetBuilder {
  const t = new ArchContext(o, cfg.name, DENSENET);
  // BN (new blob) - Scale - PReLU - conv - dropout (new blob).
  const unit = (prefix: string, bottom: Top, out: number, kernel: 1 | 3): Top => {
    let y = t.bn({ bottom, inPlace: false, bn: `${prefix}_bn`, scale: `${prefix}_scale` });
    y = t.prelu({ name: `${prefix}_relu`, bottom: y });
    y = t.conv({ name: `${prefix}_conv`, bottom: y, out, bias: false, pad: (kernel - 1) / 2, kernel, stride: 1 });
    return t.dropout({ name: `${prefix}_dropout`, bottom: y, ratio: cfg.dropout, inPlace: false });
  };

  let x = t.conv({ name: 'conv_1', bottom: t.data(), out: cfg.stem, pad: 3, kernel: 7, stride: 2 });
  x = t.prelu({ name: 'relu_1', bottom: x });
  x = t.pool({ name: 'pool_1', bottom: x, pool: 'MAX', kernel: 3, stride: 2 });
  let channels = cfg.stem;

  cfg.blocks.forEach((layers, b) => {
    for (let i = 1; i <= layers; i++) {
      const id = `block_${b + 1}_${i}`;
      let y = unit(`${id}_1x1`, x, cfg.bottleneck * cfg.growth, 1);
      y = unit(`${id}_3x3`, y, cfg.growth, 3);
      // SE recalibrates each layer's new features before they join the block.
      y = seScale(t, { unit: id, bottom: y, channels: cfg.growth });
      x = t.concat({ name: `${id}_concat`, bottoms: [x, y], axis: 1 });
      channels += cfg.growth;
    }
    if (b < cfg.blocks.length - 1) {
      channels = Math.floor(channels * cfg.compression);
      const y = unit(`transition_down_${b + 1}_1x1`, x, channels, 1);
      x = t.pool({ name: `transition_down_${b + 1}_pooling`, bottom: y, pool: 'AVE', kernel: 2, stride: 2 });
    }
  });

  x = t.bn({ bottom: x, inPlace: false, bn: 'bn_final', scale: 'scale_finel' });
  x = t.prelu({ name: 'relu_final', bottom: x });
  x = t.pool({ name: 'pool_final', bottom: x, pool: 'AVE', global: true });
  // The toolkit's deploy net ends at the logits (no Softmax).
  t.head({ name: 'fc_class', bottom: x, prob: false });
  return t.n;
}
