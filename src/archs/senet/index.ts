import type { ArchEntry } from '../types';
import { buildSeBnInception } from './inception';
import { buildResidual, seNet154, seResNet, seResNeXt } from './residual';

/** The release's defaults: SE on, r = 16, 224x224, batch 1, 1000 classes. */
const DEFAULTS: ArchEntry['defaults'] = { se: true, reduction: 16, inputSize: 224, batch: 1, numClasses: 1000 };

/** The seven nets of the SENet release. */
export const senetArchs: ArchEntry[] = [
  ...([50, 101, 152] as const).map((d): ArchEntry => ({
    id: `se-resnet-${d}`,
    family: 'SE-ResNet',
    description: `SE-ResNet-${d}: bottleneck ResNet [${seResNet(d).stages.map((s) => s.blocks).join(',')}] with SE blocks (stride in the first 1x1)`,
    defaults: DEFAULTS,
    build: (opts) => buildResidual(seResNet(d), opts),
  })),
  ...([50, 101] as const).map((d): ArchEntry => ({
    id: `se-resnext-${d}`,
    family: 'SE-ResNeXt',
    description: `SE-ResNeXt-${d} (32 x 4d): grouped bottlenecks [${seResNeXt(d).stages.map((s) => s.blocks).join(',')}] with SE blocks`,
    defaults: DEFAULTS,
    build: (opts) => buildResidual(seResNeXt(d), opts),
  })),
  {
    id: 'se-bn-inception',
    family: 'SE-BN-Inception',
    description: 'SE-BN-Inception: BN-Inception with an SE block after every module (Reshape + Scale gate)',
    defaults: DEFAULTS,
    build: buildSeBnInception,
  },
  {
    id: 'senet-154',
    family: 'SENet-154',
    description: 'SENet-154: 64-group SE-ResNeXt [3,8,36,3], three-conv stem, 3x3 projections, dropout 0.2',
    defaults: DEFAULTS,
    build: (opts) => buildResidual(seNet154(), opts),
  },
];
