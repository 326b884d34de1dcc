'use strict';
/*
 * The real models of ../shared/reference/models and the test inputs they are checked on, decoded
 * one way for both sides: tools/make-real-model-fixtures.js feeds these float32 NCHW batches to
 * real Caffe, test/parity/real-models.test.ts to the converted graphs (a sha256 of the bytes ties
 * them together). Plain JS so that the tool (no TypeScript) and the tests share one decoder.
 */
const fs = require('fs');
const path = require('path');
const { gunzipSync } = require('fflate');
const sharp = require('sharp');

const MODELS_DIR = path.join('reference', 'models');

/**
 * name -> how to build and feed the model. `inputShape` is given for nets whose input is a data
 * layer (as --input-shape). `prep` turns the decoded images into the net's input.
 */
const MODELS = {
  lenet: {
    dir: 'mnist-lenet-v2-ethereon', prototxt: 'lenet.prototxt', caffemodel: 'lenet_iter_10000.caffemodel',
    data: 'mnist', count: 300, prep: 'pixel * 0.00390625',
  },
  cifar10_quick: {
    dir: 'cifar10-quick-full-everpeace', prototxt: 'cifar10_quick.prototxt', caffemodel: 'cifar10_quick_iter_5000.caffemodel',
    data: 'cifar10', count: 300, prep: 'R,G,B planes minus the per-pixel mean (cifar10_mean.binaryproto)',
  },
  cifar10_full: {
    dir: 'cifar10-quick-full-everpeace', prototxt: 'cifar10_full.prototxt', caffemodel: 'cifar10_full_iter_70000.caffemodel',
    data: 'cifar10', count: 300, prep: 'R,G,B planes minus the per-pixel mean (cifar10_mean.binaryproto)',
  },
  resnet20: {
    dir: 'cifar10-resnet20-ljf', prototxt: 'test_ResNet_20.prototxt', caffemodel: 'cifar10_ResNet_20_iter_53500.caffemodel',
    data: 'cifar10', count: 200, inputShape: [200, 3, 32, 32], prep: '(R,G,B planes - [125.3, 122.9, 113.8]) * 0.00390625',
  },
  mobilenet: {
    dir: 'cifar10-mobilenet-grouped-ljf', prototxt: 'deploy.prototxt', caffemodel: 'caffe_ljftest_train_iter_100000.caffemodel',
    data: 'cifar10', count: 200, prep: 'R,G,B planes, raw 0..255, centre crop 28x28',
  },
};

/** The first `n` images of the MNIST t10k set as bytes (n x 784). */
function mnistImages(shared, n) {
  const raw = gunzipSync(fs.readFileSync(path.join(shared, MODELS_DIR, 'mnist-testset', 't10k-images-idx3-ubyte.gz')));
  return raw.subarray(16, 16 + n * 784);
}

/**
 * `n` JPEGs of the CIFAR-10 test tarball, the first n / 10 of each class in archive order (the
 * archive is sorted by class), decoded to 32x32 RGB (HWC bytes).
 */
async function cifarImages(shared, n) {
  const tar = gunzipSync(fs.readFileSync(path.join(shared, MODELS_DIR, 'cifar10-testset-jpeg-yoongikim', 'cifar10_test_jpeg_q75.tar.gz')));
  const out = [];
  const perClass = new Map();
  for (let off = 0; off + 512 <= tar.length && out.length < n; ) {
    const name = Buffer.from(tar.subarray(off, off + 100)).toString('latin1').replace(/\0.*$/s, '');
    if (name === '') break;
    const size = parseInt(Buffer.from(tar.subarray(off + 124, off + 136)).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const cls = /^test\/([^/]+)\/\d+\.jpg$/.exec(name)?.[1];
    if (cls !== undefined && (perClass.get(cls) ?? 0) < n / 10) {
      perClass.set(cls, (perClass.get(cls) ?? 0) + 1);
      const rgb = await sharp(tar.subarray(off + 512, off + 512 + size)).raw().toBuffer({ resolveWithObject: true });
      if (rgb.info.width !== 32 || rgb.info.height !== 32 || rgb.info.channels !== 3) throw new Error(`${name}: not a 32x32 RGB image`);
      out.push({ name, rgb: rgb.data });
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  if (out.length < n) throw new Error(`the CIFAR-10 tarball has only ${out.length} images`);
  return out;
}

/** A BlobProto's float data (the CIFAR mean file): field 5, packed floats. */
function readMeanBlob(file) {
  const b = fs.readFileSync(file);
  let p = 0;
  const varint = () => {
    let v = 0;
    let s = 0;
    for (;;) {
      const x = b[p++];
      v += (x & 0x7f) * 2 ** s;
      if (x < 0x80) return v;
      s += 7;
    }
  };
  while (p < b.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wt = key & 7;
    if (wt === 2) {
      const len = varint();
      if (field === 5) return new Float32Array(b.buffer.slice(b.byteOffset + p, b.byteOffset + p + len));
      p += len;
    } else if (wt === 0) varint();
    else if (wt === 5) p += 4;
    else if (wt === 1) p += 8;
    else throw new Error(`${file}: unexpected wire type ${wt}`);
  }
  throw new Error(`${file}: no packed data`);
}

/**
 * The input batch of one model: { data: Float32Array (NCHW), shape, names (image ids) }.
 * `shared` is the ../shared folder.
 */
async function modelInput(shared, name) {
  const m = MODELS[name];
  if (m.data === 'mnist') {
    const px = mnistImages(shared, m.count);
    const data = new Float32Array(m.count * 784);
    for (let i = 0; i < data.length; i++) data[i] = px[i] * 0.00390625;
    return { data, shape: [m.count, 1, 28, 28], names: Array.from({ length: m.count }, (_, i) => `t10k:${i}`) };
  }
  const imgs = await cifarImages(shared, m.count);
  const names = imgs.map((x) => x.name);
  if (name === 'mobilenet') {
    const data = new Float32Array(m.count * 3 * 28 * 28);
    imgs.forEach(({ rgb }, i) => {
      for (let c = 0; c < 3; c++) for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
        data[((i * 3 + c) * 28 + y) * 28 + x] = rgb[((y + 2) * 32 + (x + 2)) * 3 + c];
      }
    });
    return { data, shape: [m.count, 3, 28, 28], names };
  }
  const data = new Float32Array(m.count * 3072);
  if (name === 'resnet20') {
    const mv = [125.3, 122.9, 113.8];
    // Caffe's data transformer: (pixel - mean_value) * scale, in float32.
    imgs.forEach(({ rgb }, i) => {
      for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) data[i * 3072 + c * 1024 + p] = Math.fround(Math.fround(rgb[p * 3 + c] - Math.fround(mv[c])) * 0.00390625);
    });
  } else {
    const mean = readMeanBlob(path.join(shared, MODELS_DIR, 'cifar10-resnet20-ljf', 'cifar10_mean.binaryproto'));
    imgs.forEach(({ rgb }, i) => {
      for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) data[i * 3072 + c * 1024 + p] = rgb[p * 3 + c] - mean[c * 1024 + p];
    });
  }
  return { data, shape: [m.count, 3, 32, 32], names };
}

module.exports = { MODELS, MODELS_DIR, modelInput };
