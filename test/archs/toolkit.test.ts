/**
 * Toolkit generators: registry, block counts of the deeper members, SE placement and channel
 * counts, and the layers real Caffe built from our nets (fixtures in test/fixtures/caffe-built).
 */
import * as fs from 'fs';
import * as path from 'path';
import { findArch, resolveOptions } from '../../src/archs';
import type { ArchOptions } from '../../src/archs';
import { toolkitArchs } from '../../src/archs/toolkit';
import { preActUnits } from '../../src/archs/toolkit/resnet-v2';
import { wideBlocks } from '../../src/archs/toolkit/wrn';
import { UsageError } from '../../src/errors';
import type { LayerParameter, NetParameter } from '../../src/schema';

const IDS = ['vgg-16', 'vgg-19', 'resnet-50', 'resnet-101', 'resnet-152', 'resnext-50', 'resnext-101', 'resnet-v2-164', 'resnet-v2-1001', 'wrn-28-10', 'densenet-121', 'googlenet'];

function net(id: string, given: Partial<ArchOptions> = {}): NetParameter {
  const entry = findArch(id);
  return entry.build(resolveOptions(entry, given)).build();
}
const ofType = (n: NetParameter, type: string): LayerParameter[] => n.layer!.filter((l) => l.type === type);

describe('toolkit registry', () => {
  it('registers every toolkit ID once', () => {
    expect(toolkitArchs.map((a) => a.id)).toEqual(IDS);
  });
});

describe('block counts of the deeper members', () => {
  it.each([
    ['resnet-50', 16],
    ['resnet-101', 33],
    ['resnet-152', 50],
    ['resnext-50', 16],
    ['resnext-101', 33],
    ['resnet-v2-164', 54],
    ['resnet-v2-1001', 333],
    ['wrn-28-10', 12],
  ])('%s has %i residual units', (id, units) => {
    expect(ofType(net(id), 'Eltwise')).toHaveLength(units);
  });

  it('uses the released ResNet-101 naming: res4a, res4b1 .. res4b22', () => {
    const names = ofType(net('resnet-101'), 'Eltwise').map((l) => l.name);
    expect(names.filter((n) => n!.startsWith('res4'))).toEqual(['res4a', ...Array.from({ length: 22 }, (_, i) => `res4b${i + 1}`)]);
    expect(names.filter((n) => n!.startsWith('res3'))).toEqual(['res3a', 'res3b', 'res3c', 'res3d']);
    expect(ofType(net('resnet-152'), 'Eltwise').map((l) => l.name).filter((n) => n!.startsWith('res3'))).toEqual(['res3a', ...Array.from({ length: 7 }, (_, i) => `res3b${i + 1}`)]);
  });

  it('VGG-19 has 16 convolutions (4 in stages 3-5), VGG-16 13', () => {
    expect(ofType(net('vgg-19'), 'Convolution').map((l) => l.name)).toContain('conv5_4');
    expect(ofType(net('vgg-19'), 'Convolution')).toHaveLength(16);
    expect(ofType(net('vgg-16'), 'Convolution')).toHaveLength(13);
  });

  it('ResNeXt-101 keeps 32 groups in every 3x3', () => {
    const grouped = ofType(net('resnext-101'), 'Convolution').filter((l) => l.convolution_param!.group !== undefined);
    expect(grouped).toHaveLength(33);
    expect(new Set(grouped.map((l) => l.convolution_param!.group))).toEqual(new Set([32]));
  });

  it('rejects depths that do not fit the family rule', () => {
    expect(preActUnits(164)).toBe(18);
    expect(preActUnits(1001)).toBe(111);
    expect(() => preActUnits(165)).toThrow(UsageError);
    expect(wideBlocks(28)).toBe(4);
    expect(() => wideBlocks(27)).toThrow(UsageError);
  });
});

/** The squeeze and excite convolutions of each SE module: [down, up] num_output. */
function seConvs(n: NetParameter): [string, number, number][] {
  const convs = new Map(ofType(n, 'Convolution').map((l) => [l.name!, l.convolution_param!.num_output!]));
  return ofType(n, 'Pooling')
    .filter((l) => l.name!.endsWith('_global_pool'))
    .map((l) => {
      const p = l.name!.slice(0, -'_global_pool'.length);
      return [p, convs.get(`${p}_1x1_down`)!, convs.get(`${p}_1x1_up`)!];
    });
}

describe('SE modules', () => {
  it('ResNet-50: one per residual unit, C/16 -> C, Axpy replacing the sum (official)', () => {
    const n = net('resnet-50', { se: true });
    const se = seConvs(n);
    expect(se).toHaveLength(16);
    expect(se[0]).toEqual(['res2a', 16, 256]);
    expect(se[15]).toEqual(['res5c', 128, 2048]);
    const axpy = ofType(n, 'Axpy');
    expect(axpy.map((l) => l.name)).toEqual(ofType(net('resnet-50'), 'Eltwise').map((l) => l.name));
    expect(axpy[0].bottom).toEqual(['res2a_1x1_up', 'res2a_branch2c', 'res2a_branch1']);
    expect(ofType(n, 'Eltwise')).toHaveLength(0);
  });

  it('bvlc flavour: Reshape + two-bottom Scale (axis 0) + Eltwise with the toolkit sum name', () => {
    const n = net('resnet-50', { se: true, flavor: 'bvlc', reduction: 8 });
    expect(seConvs(n)[0]).toEqual(['res2a', 32, 256]);
    expect(ofType(n, 'Axpy')).toHaveLength(0);
    const scale = n.layer!.find((l) => l.name === 'res2a_scale')!;
    expect(scale.bottom).toEqual(['res2a_branch2c', 'res2a_prob_reshape']);
    expect(scale.scale_param).toEqual({ axis: 0, bias_term: false });
    expect(n.layer!.find((l) => l.name === 'res2a')).toMatchObject({ type: 'Eltwise', bottom: ['res2a_scale', 'res2a_branch1'] });
  });

  it.each([
    ['resnext-50', 16, ['res2a', 16, 256]],
    ['resnet-v2-164', 54, ['block2_1', 4, 64]],
    ['wrn-28-10', 12, ['block_2_1', 10, 160]],
    ['densenet-121', 58, ['block_1_1', 2, 32]],
    ['vgg-16', 5, ['conv1', 4, 64]],
    ['googlenet', 9, ['inception_3a', 16, 256]],
  ])('%s: %i modules, first %j', (id, count, first) => {
    const se = seConvs(net(id as string, { se: true }));
    expect(se).toHaveLength(count as number);
    expect(se[0]).toEqual(first);
  });

  it('GoogLeNet with SE keeps the module output blob (SE-BN-Inception layout)', () => {
    const n = net('googlenet', { se: true });
    expect(n.layer!.find((l) => l.name === 'inception_3a/concat')!.top).toEqual(['inception_3a/concat']);
    expect(n.layer!.find((l) => l.name === 'inception_3a_scale')!.top).toEqual(['inception_3a/output']);
    expect(n.layer!.find((l) => l.name === 'inception_3b/1x1')!.bottom).toEqual(['inception_3a/output']);
  });

  it('without SE no module appears, and the learnable layers are the same with SE', () => {
    for (const id of IDS.filter((i) => !/101|152|1001/.test(i))) {
      const plain = net(id);
      expect(seConvs(plain)).toHaveLength(0);
      const withSe = new Set(net(id, { se: true }).layer!.map((l) => l.name));
      for (const l of plain.layer!) if (l.type === 'Convolution' || l.type === 'BatchNorm' || l.type === 'InnerProduct') expect(withSe.has(l.name)).toBe(true);
    }
  });
});

interface BuiltVariant {
  phase: 'TRAIN' | 'TEST';
  layerCount: number;
  ranForwardBackward: boolean;
  output: [string, number[][]];
  layers?: [string, number[][]][];
}
interface Built {
  id: string;
  inputSize: number;
  batch: number;
  variants: Record<string, BuiltVariant>;
}

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'caffe-built', 'toolkit');
const VARIANTS: Record<string, Partial<ArchOptions>> = {
  deploy: { se: false },
  'deploy-se-official': { se: true, flavor: 'official' },
  'deploy-se-bvlc': { se: true, flavor: 'bvlc' },
  train: { se: false, phase: 'train' },
  'train-se-bvlc': { se: true, flavor: 'bvlc', phase: 'train' },
};

describe('what real Caffe built from our nets (fixtures)', () => {
  it.each(IDS)('%s: same layers in Caffe order, every variant ran forward-backward', (id) => {
    const built = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${id}.json`), 'utf8')) as Built;
    for (const [variant, given] of Object.entries(VARIANTS)) {
      const v = built.variants[variant];
      const train = given.phase === 'train'
        ? { trainSource: 'list.txt', testSource: 'list.txt', backend: 'imagedata' as const, testBatch: 2, mirror: true, newHeight: built.inputSize, newWidth: built.inputSize }
        : undefined;
      const n = net(id, { ...given, inputSize: built.inputSize, batch: built.batch, train });
      // Caffe keeps the layers whose include rules match its phase.
      const kept = n.layer!.filter((l) => (l.include ?? []).every((r) => r.phase === undefined || r.phase === v.phase));
      expect(v.ranForwardBackward).toBe(true);
      expect(kept).toHaveLength(v.layerCount);
      expect(kept[kept.length - 1].name).toBe(v.output[0]);
      if (v.phase === 'TEST' && v.output[0] === 'prob') expect(v.output[1]).toEqual([[built.batch, findArch(id).defaults.numClasses]]);
      if (v.layers) expect(kept.map((l) => l.name)).toEqual(v.layers.map((l) => l[0]));
    }
  });
});
