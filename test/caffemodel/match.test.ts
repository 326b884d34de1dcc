import { BlobData, Caffemodel, matchWeights, readCaffemodel, shapeMatches } from '../../src/caffemodel';
import { WeightsError } from '../../src/errors';
import { describeShared, sharedPath } from '../helpers/shared';

function blob(shape: number[], legacy = false): BlobData {
  return { shape, legacy, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => i) };
}

function model(layers: Array<[string, BlobData[]]>): Caffemodel {
  return { format: 'V2', net: {}, layers: layers.map(([name, blobs]) => ({ name, type: 'X', blobs })) };
}

const net = [
  { name: 'data', type: 'Input' },
  { name: 'conv', type: 'Convolution' },
  { name: 'relu', type: 'ReLU' },
  { name: 'fc', type: 'InnerProduct' },
];
const shapes: Record<string, number[][]> = { conv: [[4, 3, 3, 3], [4]], fc: [[10, 36], [10]] };
const expected = (n: string): number[][] => shapes[n] ?? [];

describe('shapeMatches (Caffe ShapeEquals)', () => {
  it('modern shapes must be equal', () => {
    expect(shapeMatches([4, 3], blob([4, 3]))).toBe(true);
    expect(shapeMatches([4, 3], blob([3, 4]))).toBe(false);
    expect(shapeMatches([12], blob([4, 3]))).toBe(false);
  });
  it('legacy 4-D shapes match the expected shape padded on the left with 1s', () => {
    expect(shapeMatches([10], blob([1, 1, 1, 10], true))).toBe(true);
    expect(shapeMatches([10, 36], blob([1, 1, 10, 36], true))).toBe(true);
    expect(shapeMatches([4, 3, 3, 3], blob([4, 3, 3, 3], true))).toBe(true);
    expect(shapeMatches([10, 36], blob([10, 36, 1, 1], true))).toBe(false);
    expect(shapeMatches([360], blob([1, 1, 10, 36], true))).toBe(false);
    expect(shapeMatches([1, 2, 3, 4, 5], blob([1, 2, 3, 4], true))).toBe(false);
  });
});

describe('matchWeights (Net::CopyTrainedLayersFrom)', () => {
  it('takes blobs by name, ignores extra model layers, reshapes legacy blobs, shares data', () => {
    const fcW = blob([1, 1, 10, 36], true);
    const m = model([
      ['conv', [blob([4, 3, 3, 3]), blob([4])]],
      ['loss', [blob([7])]],
      ['fc', [fcW, blob([1, 1, 1, 10], true)]],
    ]);
    const w = matchWeights(net, m, expected);
    expect(w.map((l) => [l.name, l.type, l.blobs.map((b) => b.shape)])).toEqual([
      ['conv', 'Convolution', [[4, 3, 3, 3], [4]]],
      ['fc', 'InnerProduct', [[10, 36], [10]]],
    ]);
    expect(w[1].blobs[0].legacy).toBe(false);
    expect(w[1].blobs[0].data).toBe(fcW.data);
  });

  it('the last of duplicate model layers wins', () => {
    const second = blob([4]);
    const m = model([
      ['conv', [blob([4, 3, 3, 3]), blob([4])]],
      ['fc', [blob([10, 36]), blob([10])]],
      ['conv', [blob([4, 3, 3, 3]), second]],
    ]);
    expect(matchWeights(net, m, expected)[0].blobs[1].data).toBe(second.data);
  });

  it('a learnable layer missing from the model is an error', () => {
    const m = model([['conv', [blob([4, 3, 3, 3]), blob([4])]]]);
    expect(() => matchWeights(net, m, expected)).toThrow(WeightsError);
    expect(() => matchWeights(net, m, expected)).toThrow(
      /layer 'fc': the InnerProduct layer needs 2 learnable blob\(s\) \(\[10, 36\], \[10\]\) but the caffemodel has no layer of that name/,
    );
  });

  it('blob count and shape mismatches name the layer, the blob and both shapes', () => {
    const m1 = model([
      ['conv', [blob([4, 3, 3, 3])]],
      ['fc', [blob([10, 36]), blob([10])]],
    ]);
    expect(() => matchWeights(net, m1, expected)).toThrow(/layer 'conv': the Convolution layer has 2 learnable blob\(s\).*stores 1 \(\[4, 3, 3, 3\]\)/);
    const m2 = model([
      ['conv', [blob([4, 3, 3, 3]), blob([4])]],
      ['fc', [blob([1, 1, 36, 10], true), blob([10])]],
    ]);
    expect(() => matchWeights(net, m2, expected)).toThrow(
      "layer 'fc', blob 0: shape mismatch: the net expects [10, 36], the caffemodel stores [1, 1, 36, 10] (legacy num/channels/height/width)",
    );
    // Blobs stored for a layer that has none (a ReLU with weights) are a count mismatch too.
    const m3 = model([
      ['conv', [blob([4, 3, 3, 3]), blob([4])]],
      ['relu', [blob([1])]],
      ['fc', [blob([10, 36]), blob([10])]],
    ]);
    expect(() => matchWeights(net, m3, expected)).toThrow(/layer 'relu': the ReLU layer has 0 learnable blob\(s\)/);
  });

  it('layers of unknown shape take the stored blobs unchecked', () => {
    const m = model([['custom', [blob([2, 2])]]]);
    const w = matchWeights([{ name: 'custom', type: 'Mystery' }], m, () => undefined);
    expect(w).toEqual([{ name: 'custom', type: 'Mystery', blobs: m.layers[0].blobs }]);
    expect(matchWeights([{ name: 'other', type: 'Mystery' }], m, () => undefined)).toEqual([]);
  });
});

describeShared('matchWeights on a real V1 model (../shared)', () => {
  it('CIFAR-10 quick: legacy blobs become modern shapes', () => {
    const m = readCaffemodel(sharedPath('reference', 'models', 'cifar10-quick-full-everpeace', 'cifar10_quick_iter_5000.caffemodel'));
    const want: Record<string, number[][]> = {
      conv1: [[32, 3, 5, 5], [32]],
      conv2: [[32, 32, 5, 5], [32]],
      conv3: [[64, 32, 5, 5], [64]],
      ip1: [[64, 1024], [64]],
      ip2: [[10, 64], [10]],
    };
    const layers = ['conv1', 'pool1', 'relu1', 'conv2', 'relu2', 'pool2', 'conv3', 'relu3', 'pool3', 'ip1', 'ip2', 'prob'].map((name) => ({
      name,
      type: 'T',
    }));
    const w = matchWeights(layers, m, (n) => want[n] ?? []);
    expect(Object.fromEntries(w.map((l) => [l.name, l.blobs.map((b) => b.shape)]))).toEqual(want);
    // A wrong expectation is caught with both shapes.
    expect(() => matchWeights(layers, m, (n) => (n === 'ip1' ? [[1024, 64], [64]] : (want[n] ?? [])))).toThrow(
      "layer 'ip1', blob 0: shape mismatch: the net expects [1024, 64], the caffemodel stores [1, 1, 64, 1024] (legacy num/channels/height/width)",
    );
  });
});
