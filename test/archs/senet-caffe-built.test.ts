/**
 * Checks the generators against what real BVLC Caffe built from their output (fixtures made by
 * tools/make-caffe-built-fixtures.sh with the oracle; see test/fixtures/caffe-built/SOURCE.md):
 * the same layers in the same order with the same tops, and every top shape equal to what Caffe
 * computed, re-derived here from the generated parameters.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { findArch, resolveOptions, type ArchOptions } from '../../src/archs';
import type { LayerParameter, NetParameter } from '../../src/schema';

const DIR = path.resolve(__dirname, '..', 'fixtures', 'caffe-built');

type Shape = number[];
interface Fixture {
  id: string;
  flavor: 'official' | 'bvlc';
  inputSize: number;
  trainBatch: number;
  nets: { phase: 'deploy' | 'train'; layers: [string, [string, Shape][]][] }[];
}

function optionsFor(fx: Fixture, phase: 'deploy' | 'train'): Partial<ArchOptions> {
  const base = { flavor: fx.flavor, inputSize: fx.inputSize };
  if (phase === 'deploy') return base;
  return {
    ...base,
    phase: 'train',
    batch: fx.trainBatch,
    train: { trainSource: 'list.txt', testSource: 'list.txt', backend: 'imagedata', testBatch: fx.trainBatch, meanValues: [104, 117, 123], crop: fx.inputSize, mirror: true, newHeight: 72, newWidth: 72 },
  };
}

/** Caffe's output-size rules: convolution rounds down, pooling rounds up (and stays inside the padded input). */
function convOut(size: number, k: number, pad: number, stride: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}
function poolOut(size: number, k: number, pad: number, stride: number): number {
  let out = Math.ceil((size + 2 * pad - k) / stride) + 1;
  if (pad > 0 && (out - 1) * stride >= size + pad) out--;
  return out;
}

/** Top shapes of one layer from its bottoms' shapes (the layer types the SENet nets use). */
function topShapes(l: LayerParameter, bottoms: Shape[], batch: number, size: number): Shape[] {
  const [b0] = bottoms;
  switch (l.type) {
    case 'Input':
      return [l.input_param!.shape![0].dim!];
    case 'Data':
    case 'ImageData':
      return [[batch, 3, size, size], [batch]];
    case 'Convolution': {
      const p = l.convolution_param!;
      const k = p.kernel_size![0];
      const pad = p.pad?.[0] ?? 0;
      const s = p.stride?.[0] ?? 1;
      return [[b0[0], p.num_output!, convOut(b0[2], k, pad, s), convOut(b0[3], k, pad, s)]];
    }
    case 'Pooling': {
      const p = l.pooling_param!;
      if (p.global_pooling) return [[b0[0], b0[1], 1, 1]];
      const [k, pad, s] = [p.kernel_size!, p.pad ?? 0, p.stride ?? 1];
      return [[b0[0], b0[1], poolOut(b0[2], k, pad, s), poolOut(b0[3], k, pad, s)]];
    }
    case 'InnerProduct':
      return [[b0[0], l.inner_product_param!.num_output!]];
    case 'Concat':
      return [[b0[0], bottoms.reduce((c, b) => c + b[1], 0), b0[2], b0[3]]];
    case 'Reshape':
      return [l.reshape_param!.shape!.dim!.map((d, i) => (d === 0 ? b0[i] : d))];
    case 'Axpy':
      return [bottoms[1]];
    case 'SoftmaxWithLoss':
    case 'Accuracy':
      return [[]];
    default: // BatchNorm, Scale, ReLU, Sigmoid, Dropout, Eltwise, Softmax keep the first bottom's shape
      return [b0];
  }
}

const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.json.gz')).sort() : [];

describe('generated nets vs what real Caffe built', () => {
  it('has a fixture for every SENet ID in both flavours', () => {
    const ids = ['se-resnet-50', 'se-resnet-101', 'se-resnet-152', 'se-resnext-50', 'se-resnext-101', 'se-bn-inception', 'senet-154'];
    expect(files).toEqual(ids.flatMap((id) => [`${id}-bvlc.json.gz`, `${id}-official.json.gz`]).sort());
  });

  describe.each(files)('%s', (file) => {
    const fx = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(DIR, file))).toString('utf8')) as Fixture;
    it.each(fx.nets.map((n) => [n.phase, n] as const))('%s: same layers, tops and top shapes', (phase, built) => {
      const e = findArch(fx.id);
      const net: NetParameter = e.build(resolveOptions(e, optionsFor(fx, phase))).build();
      // The TRAIN-phase net: layers restricted to TEST are not part of it.
      const layers = net.layer!.filter((l) => !(phase === 'train' && l.include?.[0]?.phase === 'TEST'));
      const byName = new Map(layers.map((l) => [l.name!, l]));
      // Caffe inserts a Split layer wherever a blob feeds several layers; those are not ours.
      const caffeLayers = built.layers.filter(([name]) => !(name.endsWith('_split') && !byName.has(name)));
      expect(caffeLayers.map(([name, tops]) => [name, tops.map(([t]) => t)])).toEqual(layers.map((l) => [l.name, l.top ?? []]));

      const batch = phase === 'train' ? fx.trainBatch : 1;
      const shapes = new Map<string, Shape>();
      const ours = layers.map((l) => {
        const tops = topShapes(l, (l.bottom ?? []).map((b) => shapes.get(b)!), batch, fx.inputSize);
        (l.top ?? []).forEach((t, k) => shapes.set(t, tops[k]));
        return [l.name, tops];
      });
      expect(ours).toEqual(caffeLayers.map(([name, tops]) => [name, tops.map(([, s]) => s)]));
    });
  });
});
