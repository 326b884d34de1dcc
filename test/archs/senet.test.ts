import * as fs from 'fs';
import * as path from 'path';
import { findArch, resolveOptions, type ArchOptions } from '../../src/archs';
import type { LayerParameter, NetParameter } from '../../src/schema';
import { caffeType } from '../../src/schema';
import { parseText } from '../../src/textformat';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'senet-official');

function gen(id: string, given: Partial<ArchOptions> = {}): NetParameter {
  const e = findArch(id);
  return e.build(resolveOptions(e, given)).build();
}

function genText(id: string, given: Partial<ArchOptions> = {}): string {
  const e = findArch(id);
  return e.build(resolveOptions(e, given)).toPrototxt();
}

function official(file: string): NetParameter {
  return parseText(fs.readFileSync(path.join(FIXTURES, file), 'utf8'), caffeType('NetParameter'), file);
}

const names = (net: NetParameter) => net.layer!.map((l) => l.name!);
const layer = (net: NetParameter, name: string) => net.layer!.find((l) => l.name === name)!;
const LEARNABLE = new Set(['Convolution', 'InnerProduct', 'BatchNorm']);
/** Layers that carry weights (a one-bottom Scale has gamma/beta; a two-bottom Scale has none). */
const learnable = (net: NetParameter) =>
  net.layer!.filter((l) => LEARNABLE.has(l.type!) || (l.type === 'Scale' && l.bottom!.length === 1));

const OFFICIAL: [string, string][] = [
  ['se-resnet-50', 'SE-ResNet-50.prototxt'],
  ['se-resnext-50', 'SE-ResNeXt-50.prototxt'],
  ['se-bn-inception', 'SE-BN-Inception.prototxt'],
  ['senet-154', 'SENet-154.prototxt'],
];

describe('SENet generators vs the official release files', () => {
  it.each(OFFICIAL)('%s parses to exactly the NetParameter of %s', (id, file) => {
    const text = genText(id);
    const ref = official(file);
    expect(parseText(text, caffeType('NetParameter'), id)).toEqual(ref);
    // The builder's own output (before printing) is the same net.
    expect(gen(id)).toEqual(ref);
    expect(text.split('\n')[1]).toBe('# mean_value: 104, 117, 123');
  });
});

describe('deeper members of the families', () => {
  const blocks = (net: NetParameter, stage: number) =>
    names(net).filter((n) => new RegExp(`^conv${stage}_\\d+$`).test(n)).map((n) => Number(n.split('_')[1]));

  it.each([
    ['se-resnet-101', 'SE-ResNet-101', [3, 4, 23, 3]],
    ['se-resnet-152', 'SE-ResNet-152', [3, 8, 36, 3]],
    ['se-resnext-101', 'SE-ResNeXt-101 (32 x 4d)', [3, 4, 23, 3]],
  ] as const)('%s is named %s with stages %j numbered 1..n', (id, netName, depths) => {
    const net = gen(id);
    expect(net.name).toBe(netName);
    depths.forEach((d, i) => expect(blocks(net, i + 2)).toEqual(Array.from({ length: d }, (_, k) => k + 1)));
    // 18 layers per SE unit (3 x conv/BN/Scale[/ReLU], 5 SE, Axpy, ReLU), 3 per projection; input, stem 5, tail 3.
    const units = depths.reduce((a, b) => a + b, 0);
    expect(net.layer).toHaveLength(1 + 5 + units * 18 + 4 * 3 + 3);
    const last = depths.length + 1;
    expect(names(net).slice(-5)).toEqual([`conv${last}_${depths[3]}`, `conv${last}_${depths[3]}/relu`, 'pool5/7x7_s1', 'classifier', 'prob']);
  });

  it('SE-ResNet-101 ends stage 4 with conv4_23 and SE-ResNet-152 has conv3_8 and conv4_36', () => {
    const r101 = names(gen('se-resnet-101'));
    expect(r101).toContain('conv4_23');
    expect(r101).not.toContain('conv4_24');
    expect(r101).toContain('conv5_3');
    const r152 = names(gen('se-resnet-152'));
    expect(r152).toEqual(expect.arrayContaining(['conv3_8', 'conv4_36', 'conv5_3', 'conv4_36_1x1_up']));
    expect(r152).not.toContain('conv3_9');
  });

  it('the deeper nets repeat the 50-layer units exactly (same layers per unit, stride only in unit 1)', () => {
    const r50 = gen('se-resnet-50');
    const r101 = gen('se-resnet-101');
    const unit = (net: NetParameter, u: string) => net.layer!.filter((l) => l.name!.startsWith(`${u}_`) || l.name === u || l.name === `${u}/relu`);
    const rename = (ls: LayerParameter[], from: string, to: string) => JSON.parse(JSON.stringify(ls).split(`${from}`).join(to));
    expect(unit(r101, 'conv4_23')).toEqual(rename(rename(unit(r50, 'conv4_6'), 'conv4_6', 'conv4_23'), 'conv4_5', 'conv4_22'));
  });
});

describe('flavours and options', () => {
  it.each(['se-resnet-50', 'se-resnext-50', 'se-bn-inception', 'senet-154', 'se-resnet-152'])(
    '%s bvlc: no Axpy, stock layers only, same learnable layers (names, bottoms, parameters) as official',
    (id) => {
      const off = gen(id);
      const bvlc = gen(id, { flavor: 'bvlc' });
      expect(bvlc.layer!.some((l) => l.type === 'Axpy')).toBe(false);
      const stock = new Set(['Input', 'Convolution', 'BatchNorm', 'Scale', 'ReLU', 'Pooling', 'InnerProduct', 'Softmax', 'Sigmoid', 'Reshape', 'Eltwise', 'Concat', 'Dropout']);
      expect(bvlc.layer!.filter((l) => !stock.has(l.type!))).toEqual([]);
      expect(learnable(bvlc)).toEqual(learnable(off));
      // Apart from the gate layers, the same layers in the same order.
      const gateless = (net: NetParameter) =>
        net.layer!.filter((l) => l.type !== 'Reshape' && !(l.type === 'Scale' && l.bottom!.length > 1)).map((l) => `${l.name}:${l.type === 'Axpy' ? 'Eltwise' : l.type}`);
      expect(gateless(bvlc)).toEqual(gateless(off));
    },
  );

  it('the bvlc gate is Reshape to N x C, a two-bottom Scale on axis 0, and an Eltwise sum with the shortcut', () => {
    const net = gen('se-resnet-50', { flavor: 'bvlc' });
    expect(layer(net, 'conv2_1_prob_reshape')).toMatchObject({ type: 'Reshape', bottom: ['conv2_1_1x1_up'], reshape_param: { shape: { dim: [0, 0] } } });
    expect(layer(net, 'conv2_1_scale')).toMatchObject({ type: 'Scale', bottom: ['conv2_1_1x1_increase', 'conv2_1_prob_reshape'], top: ['conv2_1_scale'], scale_param: { axis: 0, bias_term: false } });
    expect(layer(net, 'conv2_1')).toEqual({ name: 'conv2_1', type: 'Eltwise', bottom: ['conv2_1_scale', 'conv2_1_1x1_proj'], top: ['conv2_1'] });
    expect(layer(net, 'conv2_2').bottom).toEqual(['conv2_2_scale', 'conv2_1']);
  });

  it.each(['se-resnet-50', 'se-resnext-101', 'senet-154', 'se-bn-inception'])('%s --no-se removes every SE layer', (id) => {
    for (const flavor of ['official', 'bvlc'] as const) {
      const net = gen(id, { se: false, flavor });
      const seLayer = /_global_pool$|_1x1_down|_1x1_up$|_prob$|_prob_reshape$|^inception_\w+_scale$/;
      expect(names(net).filter((n) => seLayer.test(n))).toEqual([]);
      expect(net.layer!.filter((l) => l.type === 'Axpy' || l.type === 'Sigmoid' || (l.type === 'Scale' && l.bottom!.length > 1))).toEqual([]);
      const withSe = gen(id, { flavor: 'official' });
      const seCount = names(withSe).filter((n) => seLayer.test(n)).length;
      // One SE module per residual block (3+4+6+3, 3+4+23+3, 3+8+36+3) or inception module (10):
      // squeeze pool, down, its ReLU, up, sigmoid gate; SE-BN-Inception adds the gate's reshape and its Scale.
      const modules = { 'se-resnet-50': 16, 'se-resnext-101': 33, 'senet-154': 50, 'se-bn-inception': 10 }[id]!;
      expect(withSe.layer!.filter((l) => l.type === 'Sigmoid').length).toBe(modules);
      expect(seCount).toBe(modules * (id === 'se-bn-inception' ? 7 : 5));
      expect(net.layer!.length).toBe(withSe.layer!.length - seCount);
    }
    if (id !== 'se-bn-inception') {
      const net = gen(id, { se: false });
      expect(layer(net, 'conv2_2')).toEqual({ name: 'conv2_2', type: 'Eltwise', bottom: ['conv2_2_1x1_increase', 'conv2_1'], top: ['conv2_2'] });
    } else {
      expect(layer(gen(id, { se: false }), 'inception_3b/1x1').bottom).toEqual(['inception_3a/concat']);
    }
  });

  it('the reduction ratio sets the squeeze width (C / r) and leaves the excitation at C', () => {
    for (const r of [4, 8, 16, 32]) {
      const net = gen('se-resnet-50', { reduction: r });
      expect(layer(net, 'conv2_1_1x1_down').convolution_param!.num_output).toBe(256 / r);
      expect(layer(net, 'conv5_3_1x1_down').convolution_param!.num_output).toBe(2048 / r);
      expect(layer(net, 'conv5_3_1x1_up').convolution_param!.num_output).toBe(2048);
    }
    // Official SE-BN-Inception widths are floor(C / 16), e.g. 1056 -> 66.
    expect(layer(gen('se-bn-inception', { reduction: 8 }), 'inception_4e_1x1_down').convolution_param!.num_output).toBe(132);
    expect(() => gen('se-resnet-50', { reduction: 512 })).toThrow(/leaves no channels in 'conv2_1_1x1_down'/);
  });

  it('input size, batch and classes: 224 keeps the 7x7 pool, other sizes pool globally', () => {
    const net = gen('se-resnext-50', { inputSize: 160, batch: 4, numClasses: 10 });
    expect(layer(net, 'data').input_param).toEqual({ shape: [{ dim: [4, 3, 160, 160] }] });
    expect(layer(net, 'pool5/7x7_s1').pooling_param).toEqual({ pool: 'AVE', global_pooling: true });
    expect(layer(net, 'classifier').inner_product_param).toEqual({ num_output: 10 });
    expect(layer(gen('se-resnext-50'), 'pool5/7x7_s1').pooling_param).toEqual({ pool: 'AVE', kernel_size: 7, stride: 1 });
  });
});

describe('train phase', () => {
  const train = {
    trainSource: 'train_lmdb',
    testSource: 'val_lmdb',
    backend: 'lmdb' as const,
    testBatch: 5,
    meanValues: [104, 117, 123],
    crop: 224,
    mirror: true,
  };

  it('has per-phase data layers, fillers and multipliers, batch-statistics BN, loss and top-1/top-5 accuracy', () => {
    const net = gen('se-resnet-50', { phase: 'train', batch: 32, train });
    expect(net.layer![0]).toEqual({
      name: 'data',
      type: 'Data',
      top: ['data', 'label'],
      include: [{ phase: 'TRAIN' }],
      transform_param: { mirror: true, crop_size: 224, mean_value: [104, 117, 123] },
      data_param: { source: 'train_lmdb', batch_size: 32, backend: 'LMDB' },
    });
    expect(net.layer![1]).toMatchObject({ name: 'data', include: [{ phase: 'TEST' }], transform_param: { mirror: false }, data_param: { source: 'val_lmdb', batch_size: 5 } });
    expect(layer(net, 'conv1/7x7_s2')).toMatchObject({
      param: [{ lr_mult: 1, decay_mult: 1 }],
      convolution_param: { bias_term: false, weight_filler: { type: 'msra' } },
    });
    expect(layer(net, 'conv1/7x7_s2').convolution_param!.bias_filler).toBeUndefined();
    expect(layer(net, 'conv2_1_1x1_down')).toMatchObject({
      param: [{ lr_mult: 1, decay_mult: 1 }, { lr_mult: 2, decay_mult: 0 }],
      convolution_param: { weight_filler: { type: 'msra' }, bias_filler: { type: 'constant', value: 0 } },
    });
    expect(layer(net, 'conv1/7x7_s2/bn').batch_norm_param).toEqual({});
    expect(net.layer!.filter((l) => l.batch_norm_param?.use_global_stats !== undefined)).toEqual([]);
    expect(names(net).slice(-4)).toEqual(['classifier', 'loss', 'accuracy', 'accuracy_top5']);
    expect(layer(net, 'loss')).toEqual({ name: 'loss', type: 'SoftmaxWithLoss', bottom: ['classifier', 'label'], top: ['loss'] });
    expect(layer(net, 'accuracy_top5')).toMatchObject({ bottom: ['classifier', 'label'], include: [{ phase: 'TEST' }], accuracy_param: { top_k: 5 } });
    expect(names(net)).not.toContain('prob');
  });

  it('ImageData backend: list files, shuffle in TRAIN, resize options', () => {
    const net = gen('se-bn-inception', { phase: 'train', train: { ...train, backend: 'imagedata', newHeight: 256, newWidth: 256, rootFolder: '/img/' } });
    expect(net.layer![0]).toMatchObject({ type: 'ImageData', image_data_param: { source: 'train_lmdb', batch_size: 1, shuffle: true, new_height: 256, new_width: 256, root_folder: '/img/' } });
    expect(net.layer![1].image_data_param!.shuffle).toBeUndefined();
  });

  it('refuses the train phase without data options', () => {
    expect(() => gen('se-resnet-50', { phase: 'train' })).toThrow(/--source/);
  });
});
