/**
 * Real Caffe models trained by others (../shared/reference/models): LeNet (V2 prototxt and
 * caffemodel) and CIFAR-10 quick (V1 prototxt with input_dim, V1 caffemodel). Converted, run on
 * real test images, compared with the project's NCHW reference of Caffe's forward (src/reference/forward.ts).
 */
import * as fs from 'fs';
import { gunzipSync } from 'fflate';
import sharp from 'sharp';
import { matchWeights, readBinaryproto, readCaffemodel } from '../../src/caffemodel';
import { convertNet } from '../../src/convert';
import { inferShapes } from '../../src/layers';
import { initBackend, loadModel, runModel } from '../../src/runtime';
import type { NetParameter } from '../../src/schema';
import { writeGraphModel } from '../../src/tfgraph';
import { readNetText } from '../../src/upgrade';
import { describeShared, sharedPath } from '../helpers/shared';
import { type Arr, type Weights, cleanTmp, maxAbsDiff, referenceBlobs, tmpDir } from './helpers';

afterAll(cleanTmp);

function refWeights(net: NetParameter, file: string): Weights {
  const shapes = inferShapes(net);
  const byName = new Map(shapes.layers.map((l) => [l.name, l.blobShapes]));
  const matched = matchWeights(shapes.layers.map((l) => ({ name: l.name, type: l.type })), readCaffemodel(file), (n) => byName.get(n));
  return new Map(matched.map((w) => [w.name, w.blobs.map((b) => ({ shape: b.shape, data: b.data }))]));
}

const argmax = (d: Float32Array, off: number, n: number): number => {
  let best = 0;
  for (let i = 1; i < n; i++) if (d[off + i] > d[off + best]) best = i;
  return best;
};

async function convertRun(prototxt: string, caffemodel: string, x: Arr, blob: string): Promise<{ got: Arr; ref: Arr }> {
  await initBackend('cpu');
  const net = readNetText(prototxt);
  const converted = convertNet({ net, weights: readCaffemodel(caffemodel), phase: 'TEST' });
  const dir = tmpDir();
  writeGraphModel(dir, converted.graph, { metadata: converted.metadata });
  const got = runModel(await loadModel(dir), x, { outputs: [blob] })[blob];
  const ref = referenceBlobs(net, refWeights(net, caffemodel), x).get(blob)!;
  return { got, ref };
}

describeShared('real models', () => {
  test('LeNet (V2) on 40 MNIST test images: predictions equal the reference, accuracy ~99 %', async () => {
    const dir = sharedPath('reference/models/mnist-lenet-v2-ethereon');
    const images = gunzipSync(fs.readFileSync(sharedPath('reference/models/mnist-testset/t10k-images-idx3-ubyte.gz')));
    const labels = gunzipSync(fs.readFileSync(sharedPath('reference/models/mnist-testset/t10k-labels-idx1-ubyte.gz')));
    const n = 40;
    const x = new Float32Array(n * 784);
    for (let i = 0; i < n * 784; i++) x[i] = images[16 + i] * 0.00390625;
    const { got, ref } = await convertRun(`${dir}/lenet.prototxt`, `${dir}/lenet_iter_10000.caffemodel`, { data: x, shape: [n, 1, 28, 28] }, 'prob');
    expect(got.shape).toEqual([n, 10]);
    const diff = maxAbsDiff(got.data, ref.data);
    let agree = 0;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const p = argmax(got.data, i * 10, 10);
      if (p === argmax(ref.data, i * 10, 10)) agree++;
      if (p === labels[8 + i]) correct++;
    }
    // eslint-disable-next-line no-console
    console.log(`LeNet: max |prob - reference| ${diff.toExponential(2)}, agree ${agree}/${n}, correct ${correct}/${n}`);
    expect(diff).toBeLessThan(1e-4);
    expect(agree).toBe(n);
    expect(correct).toBeGreaterThanOrEqual(38);
  });

  test('CIFAR-10 quick (V1 prototxt + V1 caffemodel) on 20 JPEG test images', async () => {
    const dir = sharedPath('reference/models/cifar10-quick-full-everpeace');
    const mean = readBinaryproto(sharedPath('reference/models/cifar10-resnet20-ljf/cifar10_mean.binaryproto')).data;
    // The first 2 images of each class from the tarball (ustar: 512-byte headers).
    const tar = gunzipSync(fs.readFileSync(sharedPath('reference/models/cifar10-testset-jpeg-yoongikim/cifar10_test_jpeg_q75.tar.gz')));
    const files: { cls: string; bytes: Uint8Array }[] = [];
    const perClass = new Map<string, number>();
    for (let off = 0; off + 512 <= tar.length; ) {
      const name = Buffer.from(tar.subarray(off, off + 100)).toString('latin1').replace(/\0.*$/s, '');
      if (name === '') break;
      const size = parseInt(Buffer.from(tar.subarray(off + 124, off + 136)).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
      const m = /^test\/([^/]+)\/\d+\.jpg$/.exec(name);
      if (m && (perClass.get(m[1]) ?? 0) < 2) {
        perClass.set(m[1], (perClass.get(m[1]) ?? 0) + 1);
        files.push({ cls: m[1], bytes: tar.subarray(off + 512, off + 512 + size) });
      }
      off += 512 + Math.ceil(size / 512) * 512;
    }
    expect(files.length).toBe(20);
    const n = files.length;
    const x = new Float32Array(n * 3 * 1024);
    for (let i = 0; i < n; i++) {
      const rgb = await sharp(files[i].bytes).raw().toBuffer();
      // R,G,B planes (convert_cifar_data order), minus the per-pixel mean
      for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) x[i * 3072 + c * 1024 + p] = rgb[p * 3 + c] - mean[c * 1024 + p];
    }
    const { got, ref } = await convertRun(`${dir}/cifar10_quick.prototxt`, `${dir}/cifar10_quick_iter_5000.caffemodel`, { data: x, shape: [n, 3, 32, 32] }, 'prob');
    const classes = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
    let agree = 0;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const p = argmax(got.data, i * 10, 10);
      if (p === argmax(ref.data, i * 10, 10)) agree++;
      if (classes[p] === files[i].cls) correct++;
    }
    const diff = maxAbsDiff(got.data, ref.data);
    // eslint-disable-next-line no-console
    console.log(`CIFAR-10 quick: max |prob - reference| ${diff.toExponential(2)}, agree ${agree}/${n}, correct ${correct}/${n}`);
    expect(diff).toBeLessThan(1e-4);
    expect(agree).toBe(n);
    expect(correct).toBeGreaterThanOrEqual(11); // published 74.9 % on lossless images
  });
});
