/**
 * Our toolkit generators against the seed toolkit's own outputs (../shared/reference/caffe-toolkit).
 * Both sides are parsed with parseText and compared deep-equal, after repairing exactly the
 * toolkit's three known slips in its files (each repair must change something, so a slip that
 * disappears from the reference is noticed).
 */
import * as fs from 'fs';
import { findArch, resolveOptions } from '../../src/archs';
import type { ArchOptions, TrainDataOptions } from '../../src/archs';
import { caffeType, type LayerParameter, type NetParameter } from '../../src/schema';
import { parseText } from '../../src/textformat';
import { describeShared, sharedPath } from '../helpers/shared';

function parse(text: string, file: string): NetParameter {
  return parseText(text, caffeType('NetParameter'), file) as NetParameter;
}

function reference(file: string): NetParameter {
  const path = sharedPath('reference', 'caffe-toolkit', file);
  return parse(fs.readFileSync(path, 'utf8'), path);
}

/** Our net as text, parsed back: both sides then hold float fields at float32 precision. */
function generate(id: string, given: Partial<ArchOptions> = {}): NetParameter {
  const entry = findArch(id);
  return parse(entry.build(resolveOptions(entry, given)).toPrototxt(), `${id}.prototxt`);
}

type Slip = (net: NetParameter) => number;

/** resnet_50_deploy: its Input has 1 channel; an RGB net has 3. */
const oneChannelInput: Slip = (net) => {
  const dim = net.layer![0].input_param!.shape![0].dim!;
  if (dim[1] !== 1) return 0;
  dim[1] = 3;
  return 1;
};

/** googlenet_v1_deploy: its Concat layers say "concat" (Caffe's registry is case-sensitive). */
const lowercaseConcat: Slip = (net) => {
  let fixed = 0;
  for (const l of net.layer!) {
    if (l.type === 'concat') {
      l.type = 'Concat';
      fixed += 1;
    }
  }
  return fixed;
};

/** googlenet_v1_deploy: the 3x3 branch's layer/blob name ends in a space. */
const trailingSpace: Slip = (net) => {
  let fixed = 0;
  const trim = (s: string): string => {
    const t = s.replace(/ +$/, '');
    if (t !== s) fixed += 1;
    return t;
  };
  for (const l of net.layer!) {
    l.name = trim(l.name!);
    if (l.bottom) l.bottom = l.bottom.map(trim);
    if (l.top) l.top = l.top.map(trim);
  }
  return fixed;
};

const DEPLOY: [string, string, Slip[]][] = [
  ['vgg-16', 'vgg_16_deploy.prototxt', []],
  ['resnet-50', 'resnet_50_deploy.prototxt', [oneChannelInput]],
  ['resnext-50', 'resnext_50_deploy.prototxt', []],
  ['resnet-v2-164', 'resnet_v2_164_deploy.prototxt', []],
  ['wrn-28-10', 'wrn_28_10_deploy.prototxt', []],
  ['densenet-121', 'densenet_121_deploy.prototxt', []],
  ['googlenet', 'googlenet_v1_deploy.prototxt', [lowercaseConcat, trailingSpace]],
];

/** The first place two layer lists differ, for a readable failure before the deep-equal. */
function firstDifference(ours: LayerParameter[], theirs: LayerParameter[]): string | undefined {
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const a = JSON.stringify(ours[i]);
    const b = JSON.stringify(theirs[i]);
    if (a !== b) return `layer #${i}:\n ours:   ${a}\n theirs: ${b}`;
  }
  return undefined;
}

describeShared('toolkit generators vs the toolkit deploy files', () => {
  it.each(DEPLOY)('%s equals %s (known slips repaired)', (id, file, slips) => {
    const theirs = reference(file);
    for (const slip of slips) expect(slip(theirs)).toBeGreaterThan(0);
    const ours = generate(id);
    expect(firstDifference(ours.layer!, theirs.layer!)).toBeUndefined();
    expect(ours).toEqual(theirs);
  });
});

/** The data options the toolkit's train files were written with. */
function trainData(trainSource: string, testSource: string): TrainDataOptions {
  return { trainSource, testSource, backend: 'lmdb', testBatch: 4, meanValues: [127.5, 127.5, 127.5], scale: 0.0078125, mirror: true };
}

describeShared('toolkit generators vs the toolkit train files', () => {
  it('resnet-50 train equals resnet_50_train_test.prototxt', () => {
    const theirs = reference('resnet_50_train_test.prototxt');
    const ours = generate('resnet-50', { phase: 'train', batch: 32, train: trainData('../data/images_train_lmdb', '../data/images_test_lmdb') });
    expect(firstDifference(ours.layer!, theirs.layer!)).toBeUndefined();
    expect(ours).toEqual(theirs);
  });

  it('densenet-121 train equals densenet_121_train.prototxt from conv_1 to the loss; ours adds the TEST phase', () => {
    const theirs = reference('densenet_121_train.prototxt');
    const ours = generate('densenet-121', { phase: 'train', batch: 8, train: trainData('/data/train_lmdb', '/data/test_lmdb') });
    const [oursTrain, oursTest, ...oursBody] = ours.layer!;
    const [theirsData, ...theirsBody] = theirs.layer!;
    // The toolkit's file is train-only: one Data layer without a phase rule, no accuracy.
    expect(oursTrain).toEqual({ ...theirsData, include: [{ phase: 'TRAIN' }] });
    expect(oursTest).toMatchObject({ name: 'data', include: [{ phase: 'TEST' }], data_param: { source: '/data/test_lmdb', batch_size: 4 } });
    const accuracy = oursBody.pop()!;
    expect(accuracy).toMatchObject({ type: 'Accuracy', bottom: ['fc_class', 'label'], include: [{ phase: 'TEST' }] });
    expect(firstDifference(oursBody, theirsBody)).toBeUndefined();
    expect(oursBody).toEqual(theirsBody);
    expect(ours.name).toBe('DenseNet-121_train_test');
    expect(theirs.name).toBe('DenseNet-121_train');
  });
});
