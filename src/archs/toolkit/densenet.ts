/**
 * DenseNet-BC (Huang et al. 2017, Table 1): dense blocks of BN-ReLU-conv1x1(4k)-BN-ReLU-conv3x3(k)
 * layers whose outputs are concatenated, transitions halving channels and resolution. The toolkit
 * uses PReLU and dropout 0.2 after every convolution.
 * Naming as the toolkit: block_1_1_1x1_bn, ..._3x3_conv, block_1_1_concat, transition_down_1_*.
 * Its final Scale is called `scale_finel` (sic); the name is kept so its weights still load.
 */
import type { Top } from '../../builder';
import type { ArchOptions } from '../types';
import { ToolkitNet } from './kit';
import { seScale } from './se';

export interface DenseConfig {
  name: string;
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

export function buildDenseNet(cfg: DenseConfig, o: ArchOptions): ToolkitNet {
  const t = new ToolkitNet(o, `${cfg.name}_${o.phase === 'train' ? 'train_test' : 'deploy'}`, 'densenet');
  const { n } = t;
  const { data, label } = t.input();
  const prelu = (name: string, x: Top): Top => n.add1('PReLU', name, x, {}, { inPlace: true });
  // BN (new blob) - Scale - PReLU - conv - dropout (new blob).
  const unit = (prefix: string, x: Top, numOutput: number, kernel: number, pad: number): Top => {
    let y = t.bn(`${prefix}_bn`, x, false);
    y = t.scale(`${prefix}_scale`, y);
    y = prelu(`${prefix}_relu`, y);
    y = t.conv(`${prefix}_conv`, y, numOutput, kernel, 1, pad);
    return n.dropout(`${prefix}_dropout`, y, { dropout_ratio: cfg.dropout }, false);
  };

  let x = t.conv('conv_1', data, cfg.stem, 7, 2, 3, { bias: true });
  x = prelu('relu_1', x);
  x = n.pool('pool_1', x, { pool: 'MAX', kernel_size: 3, stride: 2 });
  let channels = cfg.stem;

  cfg.blocks.forEach((layers, b) => {
    for (let i = 1; i <= layers; i++) {
      const id = `block_${b + 1}_${i}`;
      let y = unit(`${id}_1x1`, x, cfg.bottleneck * cfg.growth, 1, 0);
      y = unit(`${id}_3x3`, y, cfg.growth, 3, 1);
      // SE recalibrates each layer's new features before they join the block.
      if (o.se) y = seScale(t, id, y, cfg.growth);
      x = n.concat(`${id}_concat`, [x, y], { axis: 1 });
      channels += cfg.growth;
    }
    if (b < cfg.blocks.length - 1) {
      channels = Math.floor(channels * cfg.compression);
      const y = unit(`transition_down_${b + 1}_1x1`, x, channels, 1, 0);
      x = n.pool(`transition_down_${b + 1}_pooling`, y, { pool: 'AVE', kernel_size: 2, stride: 2 });
    }
  });

  x = t.bn('bn_final', x, false);
  x = t.scale('scale_finel', x);
  x = prelu('relu_final', x);
  x = n.pool('pool_final', x, { pool: 'AVE', global_pooling: true });
  const logits = t.fc('fc_class', x, o.numClasses);
  // The toolkit's deploy net ends at the logits (no Softmax).
  t.head(logits, label, { prob: false });
  return t;
}
