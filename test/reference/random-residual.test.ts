/** randomWeights' residualGamma: which Scale layers end a residual branch, and what changes. */
import * as path from 'path';
import { randomWeights, residualBranchScales } from '../../src/reference';
import { inferShapes } from '../../src/layers';
import type { NetParameter } from '../../src/schema';
import { parseNetText, readNetText } from '../../src/upgrade';

const L = (name: string, type: string, bottoms: string[], tops: string[], body = ''): string =>
  `layer { name: "${name}" type: "${type}" ${bottoms.map((b) => `bottom: "${b}" `).join('')}${tops.map((t) => `top: "${t}" `).join('')}${body} }\n`;
const conv = (n: number): string => `convolution_param { num_output: ${n} kernel_size: 1 }`;
const bnScale = (x: string): string => L(`${x}/bn`, 'BatchNorm', [x], [x]) + L(`${x}/scale`, 'Scale', [x], [x], 'scale_param { bias_term: true }');

/** Two Eltwise residual blocks: a projection block (both operands end in a Scale) and an identity
 * block whose branch goes through an SE-style gate (a two-bottom Scale), then a plain product. */
const ELTWISE_NET =
  'name: "res"\nlayer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 4 dim: 5 dim: 5 } } }\n' +
  L('a1', 'Convolution', ['data'], ['a1'], conv(8)) + bnScale('a1') + L('a1/relu', 'ReLU', ['a1'], ['a1']) +
  L('a2', 'Convolution', ['a1'], ['a2'], conv(8)) + bnScale('a2') +
  L('proj', 'Convolution', ['data'], ['proj'], conv(8)) + bnScale('proj') +
  L('sum1', 'Eltwise', ['proj', 'a2'], ['sum1']) +
  L('b1', 'Convolution', ['sum1'], ['b1'], conv(8)) + bnScale('b1') +
  L('gap', 'Pooling', ['b1'], ['gap'], 'pooling_param { pool: AVE global_pooling: true }') +
  L('gap_flat', 'Flatten', ['gap'], ['gap_flat']) +
  L('gate', 'Sigmoid', ['gap_flat'], ['gate']) +
  L('b1/se', 'Scale', ['b1', 'gate'], ['b1_se'], 'scale_param { axis: 0 }') +
  L('sum2', 'Eltwise', ['sum1', 'b1_se'], ['sum2']) +
  L('c1', 'Convolution', ['sum2'], ['c1'], conv(8)) + bnScale('c1') +
  L('prod', 'Eltwise', ['c1', 'sum2'], ['prod'], 'eltwise_param { operation: PROD }');

function branchScales(net: NetParameter): string[] {
  const shapes = inferShapes(net);
  return [...residualBranchScales(shapes.layers, new Map((net.layer ?? []).map((l) => [l.name ?? '', l])))].sort();
}

describe('residualBranchScales', () => {
  it('finds the Axpy branches of an official SENet (reduced SE-ResNet-50 fixture)', () => {
    const net = readNetText(path.resolve(__dirname, '..', 'fixtures', 'parity', 'se_resnet_50', 'net.prototxt'));
    const got = branchScales(net);
    expect(got.length).toBe(16);
    expect(got.every((n) => /^conv\d_\d+_1x1_increase\/bn\/scale$/.test(n))).toBe(true);
  });

  it('takes the deeper Eltwise SUM operand, through an SE gate, and ignores PROD', () => {
    expect(branchScales(parseNetText(ELTWISE_NET, 'res.prototxt'))).toEqual(['a2/scale', 'b1/scale']);
  });
});

describe('randomWeights residualGamma', () => {
  const net = parseNetText(ELTWISE_NET, 'res.prototxt');
  const plain = randomWeights(net, { seed: 7 });
  const small = randomWeights(net, { seed: 7, residualGamma: [0.1, 0.3] });

  it('draws only the branch-ending gammas from [lo, hi]; every other blob is unchanged', () => {
    expect(small.map((w) => w.name)).toEqual(plain.map((w) => w.name));
    small.forEach((w, i) => {
      w.blobs.forEach((b, j) => {
        if ((w.name === 'a2/scale' || w.name === 'b1/scale') && j === 0) {
          expect(b.data.every((v) => v >= 0.1 && v <= 0.3)).toBe(true);
          expect(plain[i].blobs[j].data.every((v) => v >= 0.5 && v <= 1.5)).toBe(true);
        } else {
          expect([w.name, j, b.data]).toEqual([w.name, j, plain[i].blobs[j].data]);
        }
      });
    });
  });

  it('rejects a malformed range', () => {
    expect(() => randomWeights(net, { seed: 7, residualGamma: [0.3, 0.1] })).toThrow(RangeError);
    expect(() => randomWeights(net, { seed: 7, residualGamma: [Number.NaN, 1] })).toThrow(RangeError);
  });
});
