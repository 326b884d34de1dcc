import { resnet, resnext, type BottleneckSpec } from '../common';
import type { ArchEntry } from '../types';
import { buildDenseNet, DENSENET_121 } from './densenet';
import { buildGoogLeNet } from './googlenet';
import { buildBottleneckNet } from './resnet';
import { buildPreActNet, preActStages } from './resnet-v2';
import { buildVgg, vggStages } from './vgg';
import { buildWideNet, wideStages } from './wrn';

type Defaults = ArchEntry['defaults'];
const IMAGENET: Defaults = { se: false, reduction: 16, inputSize: 224, batch: 1, numClasses: 1000 };
const CIFAR: Defaults = { se: false, reduction: 16, inputSize: 32, batch: 1, numClasses: 10 };

const vgg = (id: string, name: string, deep: 3 | 4, what: string): ArchEntry => ({
  id,
  family: 'vgg',
  description: `${name} (${what}), ImageNet`,
  // The toolkit's VGG deploy file feeds 10 images, as the released VGG deploy files do.
  defaults: { ...IMAGENET, batch: 10 },
  build: (o) => buildVgg(name, vggStages(deep), o),
});

const bottleneck = (id: string, family: string, spec: BottleneckSpec): ArchEntry => {
  const cardinality = spec.groups > 1 ? `, ${spec.groups}x${spec.stages[0].width / spec.groups}d` : '';
  return {
    id,
    family,
    description: `${spec.name} (${spec.stages.map((s) => s.blocks).join('-')} bottlenecks${cardinality}), ImageNet`,
    defaults: IMAGENET,
    build: (o) => buildBottleneckNet(spec, o),
  };
};

const preAct = (id: string, name: string, depth: number): ArchEntry => ({
  id,
  family: 'resnet-v2',
  description: `${name} (pre-activation, 9n+2 with n=${(depth - 2) / 9}), CIFAR`,
  defaults: CIFAR,
  build: (o) => buildPreActNet(name, preActStages(depth), o),
});

/** The seed toolkit's families: one generator each, at their standard configurations. */
export const toolkitArchs: ArchEntry[] = [
  vgg('vgg-16', 'VGG-16', 3, 'configuration D'),
  vgg('vgg-19', 'VGG-19', 4, 'configuration E'),
  bottleneck('resnet-50', 'resnet', resnet('ResNet-50', 50)),
  bottleneck('resnet-101', 'resnet', resnet('ResNet-101', 101)),
  bottleneck('resnet-152', 'resnet', resnet('ResNet-152', 152)),
  bottleneck('resnext-50', 'resnext', resnext('ResNeXt-50', 50)),
  bottleneck('resnext-101', 'resnext', resnext('ResNeXt-101', 101)),
  preAct('resnet-v2-164', 'ResNet-v2-164', 164),
  preAct('resnet-v2-1001', 'ResNet-v2-1001', 1001),
  {
    id: 'wrn-28-10',
    family: 'wrn',
    description: 'WRN-28-10 (wide ResNet, 6n+4 with n=4, widen 10, dropout 0.3), CIFAR',
    defaults: CIFAR,
    build: (o) => buildWideNet({ name: 'WRN-28-10', stem: 16, stages: wideStages(28, 10), dropout: 0.3 }, o),
  },
  {
    id: 'densenet-121',
    family: 'densenet',
    description: `${DENSENET_121.name} (blocks 6-12-24-16, growth 32, PReLU, dropout 0.2), ImageNet`,
    defaults: IMAGENET,
    build: (o) => buildDenseNet(DENSENET_121, o),
  },
  {
    id: 'googlenet',
    family: 'googlenet',
    description: 'GoogLeNet v1 (Inception, no LRN, no auxiliary heads), ImageNet',
    defaults: { ...IMAGENET, batch: 10 },
    build: buildGoogLeNet,
  },
];
