/**
 * The architecture DSL shared by every family: the stage-table walker, parameter objects that write
 * only what they are given, the conventions' train recipes, and the one SE reduction check.
 */
import { findArch, resolveOptions, type ArchOptions } from '../../src/archs';
import { ArchContext, blocks, KAIMING, RELEASE, resnetStages } from '../../src/archs/common';
import { UsageError } from '../../src/errors';
import type { LayerParameter, NetParameter } from '../../src/schema';

function net(id: string, given: Partial<ArchOptions> = {}): NetParameter {
  const entry = findArch(id);
  return entry.build(resolveOptions(entry, given)).build();
}
const layer = (n: NetParameter, name: string): LayerParameter => n.layer!.find((l) => l.name === name)!;
const TRAIN = { trainSource: 't', testSource: 'v', backend: 'lmdb' as const, testBatch: 2, mirror: true };

describe('stage tables', () => {
  it('walks the rows in order: conv<N>_<i>, stride and projection only in the first block', () => {
    const walked = blocks(resnetStages(101)).map((b) => `${b.stage}_${b.index}/${b.stride}${b.first ? 'p' : ''}`);
    expect(walked).toHaveLength(3 + 4 + 23 + 3);
    expect(walked.slice(0, 4)).toEqual(['2_1/1p', '2_2/1', '2_3/1', '3_1/2p']);
    expect(walked.slice(-4)).toEqual(['4_23/1', '5_1/2p', '5_2/1', '5_3/1']);
  });

  it('refuses a stage not named conv<N>', () => {
    expect(() => blocks([{ stage: 'res2', blocks: 1, width: 8, out: 8, stride: 1 }])).toThrow(/conv<N>/);
  });
});

describe('the context', () => {
  const opts = (phase: 'deploy' | 'train'): ArchOptions => ({ ...findArch('resnet-50').defaults, flavor: 'official', phase, train: phase === 'train' ? TRAIN : undefined });

  it('writes the settings a parameter object gives and no others', () => {
    const t = new ArchContext(opts('deploy'), 'n', KAIMING);
    const x = t.data();
    t.conv({ name: 'a', bottom: x, out: 8, kernel: 1 });
    t.conv({ name: 'b', bottom: x, out: 8, kernel: 3, pad: 1, stride: 2, group: 4, bias: false });
    const [, a, b] = t.n.build().layer!;
    expect(a.convolution_param).toEqual({ num_output: 8, kernel_size: [1] });
    expect(b.convolution_param).toEqual({ num_output: 8, bias_term: false, pad: [1], kernel_size: [3], group: 4, stride: [2] });
  });

  it('names the net per phase only where the convention says so', () => {
    expect(new ArchContext(opts('train'), 'ResNet-50', KAIMING).n.name).toBe('ResNet-50_train_test');
    expect(new ArchContext(opts('deploy'), 'ResNet-50', KAIMING).n.name).toBe('ResNet-50_deploy');
    expect(new ArchContext(opts('train'), 'SE-ResNet-50', RELEASE).n.name).toBe('SE-ResNet-50');
  });

  it('trains SE convolutions with the release recipe inside a toolkit net', () => {
    const n = net('resnet-50', { se: true, phase: 'train', train: TRAIN });
    // The family's own convolution: KAIMING, an msra weight filler and nothing else.
    expect(layer(n, 'res2a_branch2a').param).toBeUndefined();
    expect(layer(n, 'res2a_branch2a').convolution_param!.weight_filler).toEqual({ type: 'msra' });
    expect(layer(n, 'res2a_1x1_down')).toMatchObject({
      param: [{ lr_mult: 1, decay_mult: 1 }, { lr_mult: 2, decay_mult: 0 }],
      convolution_param: { weight_filler: { type: 'msra' }, bias_filler: { type: 'constant', value: 0 } },
    });
    expect(layer(n, 'accuracy')).toBeDefined();
    expect(n.layer!.some((l) => l.name === 'accuracy_top5')).toBe(false);
  });
});

describe('the SE reduction check', () => {
  it.each([
    ['se-resnet-50', 512, 'conv2_1_1x1_down', 256],
    ['resnet-50', 512, 'res2a_1x1_down', 256],
    ['resnet-v2-164', 128, 'block2_1_1x1_down', 64],
    ['densenet-121', 64, 'block_1_1_1x1_down', 32],
    ['vgg-16', 128, 'conv1_1x1_down', 64],
  ])('%s with r = %i names the first squeeze that has no channel left', (id, reduction, conv, channels) => {
    const build = () => net(id as string, { se: true, reduction: reduction as number });
    expect(build).toThrow(UsageError);
    expect(build).toThrow(`SE reduction ${reduction} leaves no channels in '${conv}' (${channels} channels in)`);
  });

  it('accepts a squeeze of one channel', () => {
    expect(layer(net('densenet-121', { se: true, reduction: 32 }), 'block_1_1_1x1_down').convolution_param!.num_output).toBe(1);
  });
});
