/** Error cases of the converter and the convert/run commands end to end. */
import * as fs from 'fs';
import * as path from 'path';
import { NetBuilder, printNet } from '../../src/builder';
import { writeCaffemodel } from '../../src/caffemodel';
import { main } from '../../src/cli/main';
import { convertNet } from '../../src/convert';
import { UnsupportedLayerError, UsageError, WeightsError } from '../../src/errors';
import { readNpy, readNpz, writeNpy } from '../../src/runtime';
import type { NetParameter } from '../../src/schema';
import { describeShared, sharedPath } from '../helpers/shared';
import { type Weights, caffemodelOf, cleanTmp, maxAbsDiff, rand, referenceBlobs, tmpDir } from './helpers';

afterAll(cleanTmp);

function smallNet(): { net: NetParameter; weights: Weights } {
  const b = new NetBuilder('small');
  const x = b.input('data', [1, 2, 6, 6]);
  const c = b.conv('conv1/3x3', x, { num_output: 3, kernel_size: 3, pad: 1 });
  const r = b.relu('relu1', c);
  const f = b.fc('fc', r, { num_output: 4 });
  b.softmax('prob', f);
  const weights: Weights = new Map([
    ['conv1/3x3', [{ shape: [3, 2, 3, 3], data: rand(54, 1) }, { shape: [3], data: rand(3, 2) }]],
    ['fc', [{ shape: [4, 108], data: rand(432, 3) }, { shape: [4], data: rand(4, 4) }]],
  ]);
  return { net: b.build(), weights };
}

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    chunks.push(String(s));
    return true;
  });
  process.exitCode = 0;
  try {
    await main(args);
  } finally {
    spy.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stderr: chunks.join('') };
}

function writeFiles(net: NetParameter, weights: Weights): { proto: string; model: string } {
  const dir = tmpDir();
  fs.mkdirSync(dir, { recursive: true });
  const proto = path.join(dir, 'net.prototxt');
  const model = path.join(dir, 'net.caffemodel');
  fs.writeFileSync(proto, printNet(net));
  const cm = caffemodelOf(net, weights);
  writeCaffemodel(model, net, cm.layers);
  return { proto, model };
}

describe('converter errors', () => {
  test('unsupported layer type: named, before anything is built', () => {
    const { net, weights } = smallNet();
    net.layer!.splice(2, 0, { name: 'odd', type: 'Deconvolution', bottom: ['conv1/3x3'], top: ['deconv'], convolution_param: { num_output: 2, kernel_size: [2] } });
    net.layer!.push({ name: 'weird', type: 'NoSuchLayer', bottom: ['prob'], top: ['w'] });
    const run = (): unknown => convertNet({ net, weights: caffemodelOf(net, weights), phase: 'TEST' });
    expect(run).toThrow(UnsupportedLayerError);
    expect(run).toThrow("layer 'odd' of type 'Deconvolution' cannot be converted to TF.js");
  });

  test('missing blob and wrong shape name layer, blob and shapes', () => {
    const { net, weights } = smallNet();
    const missing = new Map(weights);
    missing.delete('fc');
    expect(() => convertNet({ net, weights: caffemodelOf(net, missing), phase: 'TEST' })).toThrow(WeightsError);
    expect(() => convertNet({ net, weights: caffemodelOf(net, missing), phase: 'TEST' })).toThrow(/layer 'fc'.*no layer of that name/);
    const wrong = new Map(weights);
    wrong.set('fc', [{ shape: [4, 100], data: rand(400, 3) }, weights.get('fc')![1]]);
    expect(() => convertNet({ net, weights: caffemodelOf(net, wrong), phase: 'TEST' })).toThrow("layer 'fc', blob 0: shape mismatch: the net expects [4, 108], the caffemodel stores [4, 100]");
  });

  test('parameter-free layers may be named differently in the model', () => {
    const { net, weights } = smallNet();
    const w = new Map(weights);
    w.set('some_other_relu', []);
    expect(() => convertNet({ net, weights: caffemodelOf(net, w), phase: 'TEST' })).not.toThrow();
  });

  test('a data-layer net needs --input-shape', () => {
    const net: NetParameter = {
      name: 'tt',
      layer: [
        { name: 'd', type: 'Data', top: ['data', 'label'], include: [{ phase: 'TEST' }], data_param: { batch_size: 4 } },
        { name: 'fc', type: 'InnerProduct', bottom: ['data'], top: ['fc'], inner_product_param: { num_output: 2 } },
        { name: 'loss', type: 'SoftmaxWithLoss', bottom: ['fc', 'label'], top: ['loss'] },
        { name: 'acc', type: 'Accuracy', bottom: ['fc', 'label'], top: ['acc'], include: [{ phase: 'TEST' }] },
      ],
    };
    const weights: Weights = new Map([['fc', [{ shape: [2, 12], data: rand(24, 1) }, { shape: [2], data: rand(2, 2) }]]]);
    expect(() => convertNet({ net, weights: caffemodelOf(net, weights), phase: 'TEST' })).toThrow(UsageError);
    const c = convertNet({ net, weights: caffemodelOf(net, weights), phase: 'TEST', inputShape: [1, 3, 2, 2] });
    expect(c.metadata.caffeInputShape).toEqual([-1, 3, 2, 2]);
    expect(c.metadata.inputLayout).toBe('NHWC');
    expect(c.metadata.inputShape).toEqual([-1, 2, 2, 3]);
    expect(c.metadata.outputNames).toEqual(['fc']);
  });
});

describe('senet convert / senet run', () => {
  test('convert, refuse an existing DIR without --force (nothing lost), run .npy and .npz', async () => {
    const { net, weights } = smallNet();
    const { proto, model } = writeFiles(net, weights);
    const out = tmpDir();
    let r = await cli(['convert', proto, model, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote/);
    const before = fs.readFileSync(path.join(out, 'model.json'), 'utf8');
    const meta = JSON.parse(before).userDefinedMetadata;
    expect(meta.caffeInputShape).toEqual([-1, 2, 6, 6]);
    expect(meta.inputShape).toEqual([-1, 6, 6, 2]);
    expect(meta.blobToTensor['conv1/3x3']).toBe('conv1/3x3');

    r = await cli(['convert', proto, model, '-o', out, '--quiet', '--mean', '1,2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already exists \(use --force/);
    expect(fs.readFileSync(path.join(out, 'model.json'), 'utf8')).toBe(before);
    expect(fs.readdirSync(path.dirname(out)).filter((f) => f.includes('.tmp-'))).toEqual([]);

    r = await cli(['convert', proto, model, '-o', out, '--quiet', '--force', '--mean', '1,2', '--scale', '0.5']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')).userDefinedMetadata.preprocessing).toEqual({ mean: [1, 2], scale: 0.5 });

    const x = { data: rand(2 * 72, 5), shape: [2, 2, 6, 6] };
    const xin = path.join(path.dirname(out), 'x.npy');
    writeNpy(xin, x);
    const ref = referenceBlobs(net, weights, x);
    const y = path.join(path.dirname(out), 'y.npy');
    r = await cli(['run', out, '--input', xin, '--output', y, '--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/backend cpu/);
    const prob = readNpy(y);
    expect(prob.shape).toEqual([2, 4]);
    expect(maxAbsDiff(prob.data as Float32Array, ref.get('prob')!.data)).toBeLessThan(1e-5);

    const z = path.join(path.dirname(out), 'z.npz');
    r = await cli(['run', out, '-i', xin, '-o', z, '--blob', 'conv1/3x3', '--blob', 'prob', '--backend', 'cpu']);
    expect(r.code).toBe(0);
    const npz = readNpz(z);
    expect(Object.keys(npz).sort()).toEqual(['conv1__3x3', 'prob']);
    expect(npz.conv1__3x3.shape).toEqual([2, 3, 6, 6]);
    expect(maxAbsDiff(npz.conv1__3x3.data as Float32Array, ref.get('conv1/3x3')!.data)).toBeLessThan(1e-5);

    r = await cli(['run', out, '-i', xin, '-o', y, '--blob', 'nope', '--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no tensor or blob named 'nope'/);
  });

  test('unsupported layer: one line, exit 1, nothing written', async () => {
    const { net, weights } = smallNet();
    net.layer!.push({ name: 'weird', type: 'ArgMax', bottom: ['prob'], top: ['am'] });
    const { proto, model } = writeFiles(net, weights);
    const out = tmpDir();
    const r = await cli(['convert', proto, model, '-o', out, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("senet: layer 'weird' of type 'ArgMax' cannot be converted to TF.js\n");
    expect(fs.existsSync(out)).toBe(false);
  });
});

describeShared('train/test prototxt', () => {
  test('cifar10_quick_train_test: data layer -> input with --input-shape; loss and accuracy dropped', async () => {
    const dir = sharedPath('reference/models/cifar10-quick-full-everpeace');
    const out = tmpDir();
    let r = await cli(['convert', `${dir}/cifar10_quick_train_test.prototxt`, `${dir}/cifar10_quick_iter_5000.caffemodel`, '-o', out, '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--input-shape/);
    expect(fs.existsSync(out)).toBe(false);
    r = await cli(['convert', `${dir}/cifar10_quick_train_test.prototxt`, `${dir}/cifar10_quick_iter_5000.caffemodel`, '-o', out, '-q', '--input-shape', '1,3,32,32']);
    expect(r.code).toBe(0);
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')).userDefinedMetadata;
    expect(meta.outputNames).toEqual(['ip2']);
    expect(meta.inputName).toBe('data');
  });
});
