import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { convertFiles } from '../../src/convert';
import { evaluate } from '../../src/verify';
import { describeShared, sharedPath } from '../helpers/shared';

interface CaffeRef { images: string[]; labels: number[]; top1: number[]; top1Correct: number; top5Correct: number; count: number }

describeShared('eval: CIFAR-10 ResNet-20 on 300 JPEGs gives real Caffe\'s accuracy', () => {
  const ref = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'verify', 'cifar10-resnet20', 'caffe-top1.json'), 'utf8')) as CaffeRef;
  const M = sharedPath('reference', 'models', 'cifar10-resnet20-ljf');
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-eval-'));
    // Only the 300 images of the fixture.
    const tar = sharedPath('reference', 'models', 'cifar10-testset-jpeg-yoongikim', 'cifar10_test_jpeg_q75.tar.gz');
    fs.writeFileSync(path.join(tmp, 'members.txt'), ref.images.map((f) => `test/${f}`).join('\n') + '\n');
    execFileSync('tar', ['xzf', tar, '-C', tmp, '-T', path.join(tmp, 'members.txt')]);
    fs.writeFileSync(path.join(tmp, 'labels.txt'), ref.images.map((f, i) => `${f} ${ref.labels[i]}`).join('\n') + '\n');
    convertFiles(path.join(M, 'test_ResNet_20.prototxt'), path.join(M, 'cifar10_ResNet_20_iter_53500.caffemodel'), path.join(tmp, 'model'), { quiet: true, inputShape: [1, 3, 32, 32] });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('top-1/top-5 hits equal Caffe\'s, image by image', async () => {
    const progress: number[] = [];
    const r = await evaluate({
      modelDir: path.join(tmp, 'model'), images: path.join(tmp, 'test'), labels: path.join(tmp, 'labels.txt'),
      channelOrder: 'RGB', batch: 20, workers: 2, backend: 'wasm', onProgress: (p) => progress.push(p.done),
    });
    expect(r.images).toBe(300);
    expect(r.failed).toEqual([]);
    expect(r.preprocessing).toMatchObject({ resize: 0, protocol: 'none', crop: [32, 32], scale: 0.00390625 });
    expect([r.top1, r.top5]).toEqual([ref.top1Correct, ref.top5Correct]);
    const byFile = new Map(r.predictions.map((p) => [p.file, p]));
    ref.images.forEach((f, i) => expect([f, byFile.get(f)?.top5[0]]).toEqual([f, ref.top1[i]]));
    expect(progress[progress.length - 1]).toBe(300);
  }, 120000);

  it('a missing labels entry is an error before the run; corrupt images are counted and listed', async () => {
    const lbl = path.join(tmp, 'labels-short.txt');
    fs.writeFileSync(lbl, ref.images.slice(1).map((f, i) => `${f} ${ref.labels[i + 1]}`).join('\n'));
    await expect(evaluate({ modelDir: path.join(tmp, 'model'), images: path.join(tmp, 'test'), labels: lbl, workers: 1, backend: 'wasm' }))
      .rejects.toThrow(/1 image\(s\) have no entry .*airplane\/0000\.jpg/);
    const dir = path.join(tmp, 'mixed');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(tmp, 'test', ref.images[0]), path.join(dir, 'good.jpg'));
    fs.writeFileSync(path.join(dir, 'broken.jpg'), Buffer.from('not a jpeg at all'));
    fs.writeFileSync(path.join(tmp, 'mixed.txt'), `good.jpg ${ref.labels[0]}\nbroken.jpg 3\n`);
    const r = await evaluate({ modelDir: path.join(tmp, 'model'), images: dir, labels: path.join(tmp, 'mixed.txt'), channelOrder: 'RGB', workers: 1, backend: 'wasm' });
    expect(r.images).toBe(2);
    expect(r.evaluated).toBe(1);
    expect(r.failed.map((f) => f.file)).toEqual(['broken.jpg']);
  }, 60000);
});
