/**
 * senet convert --labels / --weights-labels / --channel-order and the metadata parity, eval and
 * predict read back (extra.labelOrder, extra.blobOrder, preprocessing.channelOrder).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NetBuilder, printNet } from '../../src/builder';
import { writeCaffemodel, type Caffemodel } from '../../src/caffemodel';
import { randomWeights } from '../../src/reference';
import { main } from '../../src/cli/main';
import { caffeBlobOrder, convertNet, findClassifier } from '../../src/convert';
import { UsageError } from '../../src/errors';
import { classifierPermutation } from '../../src/imagenet';
import { inferShapes } from '../../src/layers';
import { initBackend, loadModel, runModel } from '../../src/runtime';
import type { NetParameter } from '../../src/schema';
import { asModelMetadata, type ModelMetadata } from '../../src/model-metadata';
import { readNetText } from '../../src/upgrade';
import { blobOrderFromMetadata, modelLabelOrder, readModelMetadata } from '../../src/verify';

let tmp: string;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-labels-'));
  await initBackend('cpu');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Conv, in-place ReLU, a pooling blob named '7' (integer-like keys sort first in JS objects), fc, softmax. */
function tinyNet(name: string, classes = 1000): NetParameter {
  const b = new NetBuilder(name);
  const x = b.input('data', [1, 3, 6, 6]);
  const c = b.conv('conv1', x, { num_output: 4, kernel_size: 3, pad: 1 });
  const r = b.relu('relu1', c);
  const p = b.pool('7', r, { pool: 'AVE', global_pooling: true });
  const f = b.fc('classifier', p, { num_output: classes });
  b.softmax('prob', f);
  return b.build();
}

let n = 0;
function writeNet(net: NetParameter): { proto: string; model: string } {
  const dir = path.join(tmp, `net${n++}`);
  fs.mkdirSync(dir);
  const proto = path.join(dir, 'net.prototxt');
  const model = path.join(dir, 'net.caffemodel');
  fs.writeFileSync(proto, printNet(net));
  writeCaffemodel(model, net, randomWeights(net, { seed: 3 }));
  return { proto, model };
}

async function cli(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  process.exitCode = 0;
  try {
    await main(args);
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stderr: err.join(''), stdout: out.join('') };
}

async function convert(files: { proto: string; model: string }, flags: string[], quiet = true): Promise<{ dir: string; md: ModelMetadata; stdout: string; stderr: string }> {
  const dir = path.join(tmp, `out${n++}`);
  const r = await cli(['convert', files.proto, files.model, '-o', dir, '--json', ...(quiet ? ['-q'] : []), ...flags]);
  if (quiet) expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { dir, md: readModelMetadata(dir), stdout: r.stdout, stderr: r.stderr };
}

const input = { data: Float32Array.from({ length: 3 * 36 }, (_, i) => Math.sin(i * 0.7) * 50), shape: [1, 3, 6, 6] };

async function scores(dir: string): Promise<{ classifier: Float32Array; prob: Float32Array }> {
  const loaded = await loadModel(dir);
  const r = runModel(loaded, input, { outputs: ['classifier', 'prob'] });
  return { classifier: r.classifier.data as Float32Array, prob: r.prob.data as Float32Array };
}

function expectPermuted(got: Float32Array, from: Float32Array, perm: readonly number[]): void {
  expect(got.length).toBe(perm.length);
  let worst = 0;
  let peak = 0;
  for (let j = 0; j < perm.length; j++) {
    worst = Math.max(worst, Math.abs(got[j] - from[perm[j]]));
    peak = Math.max(peak, Math.abs(from[j]));
  }
  expect(worst).toBeLessThanOrEqual(1e-6 * Math.max(1, peak));
}

describe('convert --labels', () => {
  it('release net (--senet-release): standard outputs are the senet outputs permuted; metadata records the orders', async () => {
    const files = writeNet(tinyNet('tiny'));
    const std = await convert(files, ['--senet-release', '--labels', 'standard'], false);
    const sen = await convert(files, ['--senet-release', '--labels', 'senet'], false);
    const def = await convert(files, ['--senet-release']);
    expect(std.stderr).toMatch(/classes in 'standard' order \(classifier 'classifier' reordered from 'senet'\)/);
    expect(sen.stderr).toMatch(/classes in 'senet' order \(classifier 'classifier' kept\)/);
    expect(std.md.extra?.labelOrder).toBe('standard');
    expect(sen.md.extra?.labelOrder).toBe('senet');
    expect(def.md.extra?.labelOrder).toBe('senet');
    expect(modelLabelOrder(std.md)).toBe('standard');
    expect(modelLabelOrder(sen.md)).toBe('senet');
    expect(JSON.parse(std.stdout).labels).toEqual({ classifier: 'classifier', from: 'senet', to: 'standard' });
    expect(JSON.parse(sen.stdout).labels).toEqual({ classifier: 'classifier', from: 'senet', to: 'senet' });

    const s = await scores(std.dir);
    const t = await scores(sen.dir);
    const perm = classifierPermutation('senet', 'standard');
    // Not the identity, so the check below can fail.
    expect(perm.filter((p, j) => p !== j).length).toBeGreaterThan(900);
    expectPermuted(s.classifier, t.classifier, perm);
    expectPermuted(s.prob, t.prob, perm);
    // The default is the release's order, bit for bit.
    expect((await scores(def.dir)).classifier).toEqual(t.classifier);
  });

  it('other nets: nothing recorded by default; --labels converts from --weights-labels (default standard)', async () => {
    const files = writeNet(tinyNet('my-classifier'));
    const def = await convert(files, []);
    expect(def.md.extra?.labelOrder).toBeUndefined();
    expect(modelLabelOrder(def.md)).toBe('standard');
    expect(JSON.parse(def.stdout).labels).toBeNull();
    const std = await convert(files, ['--labels', 'standard']);
    expect(std.md.extra?.labelOrder).toBe('standard');
    const declared = await convert(files, ['--weights-labels', 'senet']);
    expect(declared.md.extra?.labelOrder).toBe('senet');
    const moved = await convert(files, ['--weights-labels', 'senet', '--labels', 'standard']);
    expect(moved.md.extra?.labelOrder).toBe('standard');

    const d = await scores(def.dir);
    expect((await scores(std.dir)).classifier).toEqual(d.classifier);
    expect((await scores(declared.dir)).classifier).toEqual(d.classifier);
    expectPermuted((await scores(moved.dir)).classifier, d.classifier, classifierPermutation('senet', 'standard'));
  });

  it('--class-order on a net without a 1000-way classifier is a usage error, nothing written', async () => {
    const files = writeNet(tinyNet('SE-Small', 10));
    const dir = path.join(tmp, 'refused');
    const r = await cli(['convert', files.proto, files.model, '-o', dir, '-q', '--class-order', 'standard']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--class-order needs a 1000-way ImageNet classifier.*net 'SE-Small' has none/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(dir)).toBe(false);
    // Without the flag an official name alone records no order.
    expect((await convert(files, [])).md.extra?.labelOrder).toBeUndefined();
    const bad = await cli(['convert', files.proto, files.model, '-o', dir, '-q', '--labels', 'imagenet']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/labels/);
  });

  it('--class-order and its old name --labels give the same model; the old name prints a note', async () => {
    const files = writeNet(tinyNet('SE-Tiny'));
    const dirs = ['new', 'old'].map((d) => path.join(tmp, `names-${d}`));
    const now = await cli(['convert', files.proto, files.model, '-o', dirs[0], '--class-order', 'Standard', '--channel-order', 'Rgb']);
    const old = await cli(['convert', files.proto, files.model, '-o', dirs[1], '--labels', 'standard', '--channel-order', 'rgb']);
    expect([now.code, old.code]).toEqual([0, 0]);
    expect(old.stderr).toMatch(/--labels is deprecated; use --class-order/);
    expect(now.stderr).not.toMatch(/deprecated/);
    const [a, b] = dirs.map((d) => JSON.parse(fs.readFileSync(path.join(d, 'model.json'), 'utf8')).userDefinedMetadata);
    expect(a.extra.labelOrder).toBe('standard');
    expect(a.preprocessing.channelOrder).toBe('RGB');
    expect(b.extra.labelOrder).toBe(a.extra.labelOrder);
    expect(b.preprocessing).toEqual(a.preprocessing);
    const both = await cli(['convert', files.proto, files.model, '-o', path.join(tmp, 'names-both'), '--labels', 'senet', '--class-order', 'senet']);
    expect(both.code).toBe(2);
  });

  it('finds the classifier through the output Softmax, else the last InnerProduct', () => {
    const net = tinyNet('x');
    // A later 1000-way InnerProduct that no Softmax reads: the Softmax's own input still wins.
    net.layer!.push({ name: 'aux', type: 'InnerProduct', bottom: ['7'], top: ['aux'], inner_product_param: { num_output: 1000 } });
    const shapes = inferShapes(net, {});
    const params = net.layer!;
    expect(shapes.layers[findClassifier(shapes.layers, params, shapes.outputs)!].name).toBe('classifier');
    const noSoftmax = { ...net, layer: params.filter((l) => l.type !== 'Softmax') };
    const s2 = inferShapes(noSoftmax, {});
    expect(s2.layers[findClassifier(s2.layers, noSoftmax.layer!, s2.outputs)!].name).toBe('aux');
  });
});

describe('convert metadata: blob order and channel order', () => {
  it("blobOrder is the net's blob order (not the object key order) and parity reads it", async () => {
    const files = writeNet(tinyNet('SE-Tiny'));
    const { dir, md } = await convert(files, []);
    expect(md.extra?.blobOrder).toEqual(['data', 'conv1', '7', 'classifier', 'prob']);
    // JS objects list integer-like keys first: blobToTensor alone cannot give the order.
    expect(Object.keys(md.blobToTensor ?? {})[0]).toBe('7');
    const loaded = await loadModel(dir);
    expect(blobOrderFromMetadata(loaded).map((b) => b.name)).toEqual(md.extra?.blobOrder);
  });

  it("caffeBlobOrder matches real Caffe's blob list for the official SENets (its Split blobs aside)", () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/layers/caffe-shapes.json'), 'utf8')) as Record<string, { blobs: { name: string }[] }>;
    for (const id of ['SE-ResNet-50', 'SE-BN-Inception']) {
      const net = readNetText(path.join(__dirname, '../fixtures/senet-official', `${id}.prototxt`));
      const ours = caffeBlobOrder(inferShapes(net, { phase: 'TEST' }).layers);
      const caffe = fixture[id].blobs.map((b) => b.name).filter((b) => !/_split_\d+$/.test(b));
      expect(ours).toEqual(caffe);
    }
  });

  it('channel order: BGR for the official mean and data layers, GRAY for 1 channel, --channel-order overrides', async () => {
    const files = writeNet(tinyNet('tiny'));
    expect((await convert(files, ['--senet-release'])).md.preprocessing).toEqual({ mean: [104, 117, 123], channelOrder: 'BGR', inputRange: [0, 255] });
    expect((await convert(files, ['--senet-release', '--channel-order', 'rgb'])).md.preprocessing?.channelOrder).toBe('RGB');
    const other = writeNet(tinyNet('plain'));
    expect((await convert(other, [])).md.preprocessing).toBeUndefined();
    expect((await convert(other, ['--channel-order', 'bgr'])).md.preprocessing).toEqual({ channelOrder: 'BGR' });

    // A data layer with transform_param (TRAIN/TEST style net).
    const withData = (channels: number): NetParameter => {
      const net = tinyNet('from-data');
      net.layer![0] = {
        name: 'data', type: 'Data', top: ['data', 'label'],
        transform_param: { mean_value: channels === 3 ? [104, 117, 123] : [128], scale: 0.5, crop_size: 6 },
        data_param: { source: 'x', batch_size: 1 },
      };
      return net;
    };
    // Random weights need an input shape: those of the net with its data layer made an Input.
    const caffemodelFor = (net: NetParameter, shape: number[]): Caffemodel => {
      const asInput = { ...net, layer: [{ name: 'data', type: 'Input', top: ['data'], input_param: { shape: [{ dim: shape }] } }, ...net.layer!.slice(1)] };
      const ws = randomWeights(asInput, { seed: 1 });
      return { format: 'V2', net: { name: net.name }, layers: ws.map((w) => ({ name: w.name, type: w.type, blobs: w.blobs.map((b) => ({ shape: b.shape, legacy: false, data: b.data })) })) };
    };
    const bgrNet = withData(3);
    const bgr = convertNet({ net: bgrNet, weights: caffemodelFor(bgrNet, [1, 3, 6, 6]), inputShape: [1, 3, 6, 6] });
    expect(bgr.metadata.preprocessing).toEqual({ mean: [104, 117, 123], scale: 0.5, cropSize: [6, 6], channelOrder: 'BGR' });
    expect(bgr.metadata.extra?.blobOrder).toEqual(['data', 'conv1', '7', 'classifier', 'prob']);

    const grayNet = withData(1);
    const gw = caffemodelFor(grayNet, [1, 1, 6, 6]);
    expect(convertNet({ net: grayNet, weights: gw, inputShape: [1, 1, 6, 6] }).metadata.preprocessing?.channelOrder).toBe('GRAY');
    expect(() => convertNet({ net: grayNet, weights: gw, inputShape: [1, 1, 6, 6], channelOrder: 'RGB' })).toThrow(UsageError);
    expect(() => convertNet({ net: grayNet, weights: gw, inputShape: [1, 1, 6, 6], channelOrder: 'RGB' })).toThrow(/--channel-order rgb needs a 3-channel/);
  });

  it('asModelMetadata drops malformed typed extra keys and keeps the rest', () => {
    const base = { senetMetadataVersion: 1, inputName: 'data', inputLayout: 'NHWC', inputShape: [-1, 3, 6, 6], tensorLayout: 'NHWC', outputNames: ['prob'] };
    const md = asModelMetadata({ ...base, extra: { labelOrder: 'imagenet', blobOrder: ['a', 3], other: 1 } });
    expect(md?.extra).toEqual({ other: 1 });
    expect(asModelMetadata({ ...base, extra: { labelOrder: 'standard', blobOrder: ['a'] } })?.extra).toEqual({ labelOrder: 'standard', blobOrder: ['a'] });
  });

  it('reads version 1 metadata (NCHW under inputShape) as version 2 (graph order, plus caffeInputShape)', () => {
    const base = { senetMetadataVersion: 1, inputName: 'data', inputLayout: 'NHWC', inputShape: [-1, 3, 6, 7], tensorLayout: 'NHWC', outputNames: ['prob'] };
    const md = asModelMetadata(base);
    expect(md?.inputShape).toEqual([-1, 6, 7, 3]);
    expect(md?.caffeInputShape).toEqual([-1, 3, 6, 7]);
    // Version 2 needs both shapes.
    expect(asModelMetadata({ ...base, senetMetadataVersion: 2 })).toBeUndefined();
    expect(asModelMetadata({ ...base, senetMetadataVersion: 2, inputShape: [-1, 6, 7, 3], caffeInputShape: [-1, 3, 6, 7] })?.caffeInputShape).toEqual([-1, 3, 6, 7]);
  });
});
