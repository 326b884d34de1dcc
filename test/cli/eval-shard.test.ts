/**
 * `senet eval --shard K/N` and `--merge`: three shards of the 300 CIFAR-10 test JPEGs of the eval
 * fixture (ResNet-20 from ../shared, converted to ONNX and run on ONNX Runtime), merged, give the
 * report one run gives: the same top-1/top-5 counts and the same predictions file, image by image;
 * and that run gives real Caffe's top-1 on every image. Skipped with a notice without ../shared.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeShared, sharedPath } from '../helpers/shared';
import { senet, type CliRun } from '../helpers/cli';

/** A usage error: exit 2, nothing on stdout, one line on stderr matching `pattern`. */
function expectUsageError(r: CliRun, pattern: RegExp): void {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

interface CaffeRef { images: string[]; labels: number[]; top1: number[]; top1Correct: number; top5Correct: number; count: number }

describeShared('eval --shard K/N and --merge on an ONNX model', () => {
  const ref = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'verify', 'cifar10-resnet20', 'caffe-top1.json'), 'utf8')) as CaffeRef;
  const M = sharedPath('reference', 'models', 'cifar10-resnet20-ljf');
  let tmp: string;
  let model: string;
  const common = (): string[] => ['--images', path.join(tmp, 'test'), '--labels', path.join(tmp, 'labels.txt'), '--channel-order', 'RGB', '--batch', '16', '--threads', '1', '--quiet'];
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-shard-'));
    const tar = sharedPath('reference', 'models', 'cifar10-testset-jpeg-yoongikim', 'cifar10_test_jpeg_q75.tar.gz');
    fs.writeFileSync(path.join(tmp, 'members.txt'), ref.images.map((f) => `test/${f}`).join('\n') + '\n');
    execFileSync('tar', ['xzf', tar, '-C', tmp, '-T', path.join(tmp, 'members.txt')]);
    fs.writeFileSync(path.join(tmp, 'labels.txt'), ref.images.map((f, i) => `${f} ${ref.labels[i]}`).join('\n') + '\n');
    model = path.join(tmp, 'resnet20.onnx');
    const r = senet(['convert', path.join(M, 'test_ResNet_20.prototxt'), path.join(M, 'cifar10_ResNet_20_iter_53500.caffemodel'), '-o', model, '--input-shape', '1,3,32,32', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('3 shards merged equal one run, image by image, and the run equals Caffe', () => {
    const one = senet(['eval', model, ...common(), '--json', '--save-predictions', path.join(tmp, 'one.tsv')]);
    expect(one.stderr).toBe('');
    const whole = JSON.parse(one.stdout) as { images: number; top1: number; top5: number; backends: string[] };
    expect(whole.backends).toEqual(['onnxruntime-cpu']);
    expect([whole.images, whole.top1, whole.top5]).toEqual([300, ref.top1Correct, ref.top5Correct]);
    const predicted = new Map(fs.readFileSync(path.join(tmp, 'one.tsv'), 'utf8').trim().split('\n').map((l) => {
      const [file, , top5] = l.split('\t');
      return [file, Number(top5.split(',')[0])];
    }));
    ref.images.forEach((f, i) => expect([f, predicted.get(f)]).toEqual([f, ref.top1[i]]));

    const parts = [1, 2, 3].map((k) => path.join(tmp, `part-${k}.json`));
    const sizes: number[] = [];
    parts.forEach((part, i) => {
      const r = senet(['eval', model, ...common(), '--shard', `${i + 1}/3`, '--save-part', part, '--json']);
      expect(r.stderr).toBe('');
      const j = JSON.parse(r.stdout) as { images: number; shard: { index: number; count: number } };
      expect(j.shard).toMatchObject({ index: i + 1, count: 3 });
      sizes.push(j.images);
    });
    expect(sizes).toEqual([100, 100, 100]);
    // The parts in any order.
    const merged = senet(['eval', '--merge', parts[2], parts[0], parts[1], '--json', '--save-predictions', path.join(tmp, 'merged.tsv')]);
    expect(merged.stderr).toBe('');
    const m = JSON.parse(merged.stdout) as Record<string, unknown>;
    for (const k of ['images', 'evaluated', 'top1', 'top5', 'top1Accuracy', 'top5Accuracy', 'classes', 'labelOrder', 'modelOrder', 'preprocessing', 'failed']) {
      expect([k, m[k]]).toEqual([k, (JSON.parse(one.stdout) as Record<string, unknown>)[k]]);
    }
    expect(m.shard).toBeUndefined();
    expect(fs.readFileSync(path.join(tmp, 'merged.tsv'), 'utf8')).toBe(fs.readFileSync(path.join(tmp, 'one.tsv'), 'utf8'));
  }, 300000);

  it('refuses a merge with a missing or repeated shard, and a shard without --save-part', () => {
    const parts = [1, 2].map((k) => path.join(tmp, `part-${k}.json`));
    expectUsageError(senet(['eval', '--merge', ...parts]), /shard 3\/3 missing/);
    expectUsageError(senet(['eval', '--merge', parts[0], parts[0], parts[1]]), /shard 1\/3 is given twice/);
    expectUsageError(senet(['eval', model, ...common(), '--shard', '2/3']), /--shard needs --save-part/);
    expectUsageError(senet(['eval', model, ...common(), '--shard', '4/3', '--save-part', path.join(tmp, 'x.json')]), /1 <= K <= N/);
  });
});
