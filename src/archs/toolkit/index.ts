import type { ArchEntry, ArchOptions } from '../types';
import { buildDenseNet, DENSENET_121 } from './densenet';
import { buildGoogLeNet } from './googlenet';
import { buildBottleneckNet, RESNET_101, RESNET_152, RESNET_50, RESNEXT_101, RESNEXT_50, type BottleneckConfig } from './resnet';
import { buildPreActNet, RESNET_V2_1001, RESNET_V2_164, type PreActConfig } from './resnet-v2';
import { buildVgg, VGG_16, VGG_19, type VggConfig } from './vgg';
import { buildWideNet, WRN_28_10 } from './wrn';

type Defaults = ArchEntry['defaults'];
const IMAGENET: Defaults = { se: false, reduction: 16, inputSize: 224, batch: 1, numClasses: 1000 };
const CIFAR: Defaults = { se: false, reduction: 16, inputSize: 32, batch: 1, numClasses: 10 };

const vgg = (id: string, cfg: VggConfig, what: string): ArchEntry => ({
  id,
  family: 'vgg',
  description: `${cfg.name} (${what}), ImageNet`,
  // The toolkit's VGG deploy file feeds 10 images, as the released VGG deploy files do.
  defaults: { ...IMAGENET, batch: 10 },
  build: (o: ArchOptions) => buildVgg(cfg, o).n,
});

const bottleneck = (id: string, family: string, cfg: BottleneckConfig): ArchEntry => ({
  id,
  family,
  description: `${cfg.name} (${cfg.blocks.join('-')} bottlenecks${cfg.cardinality ? `, ${cfg.cardinality}x${cfg.widths[0] / cfg.cardinality}d` : ''}), ImageNet`,
  defaults: IMAGENET,
  build: (o: ArchOptions) => buildBottleneckNet(cfg, o).n,
});

const preAct = (id: string, cfg: PreActConfig): ArchEntry => ({
  id,
  family: 'resnet-v2',
  description: `${cfg.name} (pre-activation, 9n+2 with n=${(cfg.depth - 2) / 9}), CIFAR`,
  defaults: CIFAR,
  build: (o: ArchOptions) => buildPreActNet(cfg, o).n,
});

/** The seed toolkit's families: one generator each, at their standard configurations. */
export const toolkitArchs: ArchEntry[] = [
  vgg('vgg-16', VGG_16, 'configuration D'),
  vgg('vgg-19', VGG_19, 'configuration E'),
  bottleneck('resnet-50', 'resnet', RESNET_50),
  bottleneck('resnet-101', 'resnet', RESNET_101),
  bottleneck('resnet-152', 'resnet', RESNET_152),
  bottleneck('resnext-50', 'resnext', RESNEXT_50),
  bottleneck('resnext-101', 'resnext', RESNEXT_101),
  preAct('resnet-v2-164', RESNET_V2_164),
  preAct('resnet-v2-1001', RESNET_V2_1001),
  {
    id: 'wrn-28-10',
    family: 'wrn',
    description: `${WRN_28_10.name} (wide ResNet, 6n+4 with n=4, widen 10, dropout 0.3), CIFAR`,
    defaults: CIFAR,
    build: (o: ArchOptions) => buildWideNet(WRN_28_10, o).n,
  },
  {
    id: 'densenet-121',
    family: 'densenet',
    description: `${DENSENET_121.name} (blocks 6-12-24-16, growth 32, PReLU, dropout 0.2), ImageNet`,
    defaults: IMAGENET,
    build: (o: ArchOptions) => buildDenseNet(DENSENET_121, o).n,
  },
  {
    id: 'googlenet',
    family: 'googlenet',
    description: 'GoogLeNet v1 (Inception, no LRN, no auxiliary heads), ImageNet',
    defaults: { ...IMAGENET, batch: 10 },
    build: (o: ArchOptions) => buildGoogLeNet(o).n,
  },
];
