import { NetError, UnsupportedLayerError } from '../../src/errors';
import { handlerFor, layerHandlers, pooledSize } from '../../src/layers';
import type { LayerParameter } from '../../src/schema';
import { blobs, out } from './helpers';

const L = (type: string, extra: Partial<LayerParameter> = {}): LayerParameter => ({
  name: 'l',
  type,
  bottom: ['x'],
  top: ['y'],
  ...extra,
});

describe('registry', () => {
  test('covers the types of the brief', () => {
    const want =
      'Input Data ImageData HDF5Data MemoryData DummyData Convolution Deconvolution Pooling InnerProduct BatchNorm Scale Bias ' +
      'PReLU Eltwise Axpy Concat Slice Split Reshape Flatten ReLU ELU Sigmoid TanH Power AbsVal Exp Log BNLL Threshold ' +
      'Dropout LRN Softmax SoftmaxWithLoss Accuracy ArgMax Silence';
    for (const t of want.split(' ')) expect(layerHandlers.get(t)?.type).toBe(t);
  });
  test('unknown type names layer and type', () => {
    expect(() => handlerFor({ name: 'foo', type: 'Bogus' })).toThrow(UnsupportedLayerError);
    expect(() => handlerFor({ name: 'foo', type: 'Bogus' })).toThrow("layer 'foo' of type 'Bogus'");
  });
});

describe('Convolution', () => {
  const conv = (p: LayerParameter['convolution_param']): LayerParameter => L('Convolution', { convolution_param: p });
  test('floor((in + 2p - (d(k-1)+1))/s) + 1', () => {
    // (224 + 6 - 7)/2 = 111.5 -> 111, +1 = 112
    expect(out(conv({ num_output: 64, kernel_size: [7], stride: [2], pad: [3] }), [1, 3, 224, 224])).toEqual([[1, 64, 112, 112]]);
    // dilation 2, k 3: extent 5; (10 + 0 - 5)/1 + 1 = 6
    expect(out(conv({ num_output: 4, kernel_size: [3], dilation: [2] }), [2, 3, 10, 10])).toEqual([[2, 4, 6, 6]]);
    // kernel_h/w, stride_h/w, pad_h only (pad_w defaults to 0): h (9+2-3)/2+1 = 5, w (8-5)/1+1 = 4
    expect(
      out(conv({ num_output: 8, kernel_h: 3, kernel_w: 5, stride_h: 2, stride_w: 1, pad_h: 1 }), [1, 2, 9, 8]),
    ).toEqual([[1, 8, 5, 4]]);
    // per-axis repeated values
    expect(out(conv({ num_output: 1, kernel_size: [1, 3], pad: [0, 1] }), [1, 1, 5, 5])).toEqual([[1, 1, 5, 5]]);
  });
  test('weights [out, in/group, kh, kw], bias by default', () => {
    const l = conv({ num_output: 64, kernel_size: [3], group: 32 });
    expect(blobs(l, [1, 128, 8, 8])).toEqual([[64, 4, 3, 3], [64]]);
    expect(blobs(conv({ num_output: 64, kernel_size: [3], bias_term: false }), [1, 128, 8, 8])).toEqual([[64, 128, 3, 3]]);
  });
  test('MACs per image: out_h*out_w*out_c*(in_c/group)*kh*kw', () => {
    const l = conv({ num_output: 64, kernel_size: [3], pad: [1], group: 2 });
    const h = handlerFor(l);
    const ins = [[4, 32, 10, 10]];
    expect(h.macs(l, ins, h.outputShapes(l, ins))).toBe(10 * 10 * 64 * 16 * 9);
  });
  test('axis: 1-D conv with channel axis 2', () => {
    expect(out(conv({ num_output: 5, kernel_size: [3], axis: 2 }), [2, 7, 4, 10])).toEqual([[2, 7, 5, 8]]);
  });
  test('invalid params', () => {
    expect(() => out(conv({ num_output: 6, kernel_size: [3], group: 4 }), [1, 8, 5, 5])).toThrow(/not a multiple of group 4/);
    expect(() => out(conv({ num_output: 4, kernel_size: [3], group: 3 }), [1, 8, 5, 5])).toThrow(/input channels 8/);
    expect(() => out(conv({ num_output: 4 }), [1, 8, 5, 5])).toThrow(/kernel is required/);
    expect(() => out(conv({ num_output: 4, kernel_size: [3], kernel_h: 3, kernel_w: 3 }), [1, 8, 5, 5])).toThrow(/not both/);
    expect(() => out(conv({ num_output: 4, kernel_size: [3, 3, 3] }), [1, 8, 5, 5])).toThrow(NetError);
    expect(() => out(conv({ kernel_size: [3] }), [1, 8, 5, 5])).toThrow(/num_output/);
    expect(() => out(conv({ num_output: 4, kernel_size: [7] }), [1, 8, 5, 5])).toThrow(/not positive/);
  });
  test('Deconvolution: s(in-1) + d(k-1)+1 - 2p; weights [in, out/group, k, k]', () => {
    const l = L('Deconvolution', { convolution_param: { num_output: 16, kernel_size: [4], stride: [2], pad: [1], group: 2 } });
    expect(out(l, [1, 8, 7, 7])).toEqual([[1, 16, 14, 14]]);
    expect(blobs(l, [1, 8, 7, 7])).toEqual([[8, 8, 4, 4], [16]]);
  });
});

describe('Pooling', () => {
  const pool = (p: LayerParameter['pooling_param']): LayerParameter => L('Pooling', { pooling_param: p });
  test('ceil rounding: 112 -> 56 for 3x3/s2/p0', () => {
    expect(out(pool({ pool: 'MAX', kernel_size: 3, stride: 2 }), [1, 64, 112, 112])).toEqual([[1, 64, 56, 56]]);
    // SE-BN-Inception's pool2 and inception pools: 56 -> 28, 28 -> 14, 14 -> 7
    expect(out(pool({ kernel_size: 3, stride: 2 }), [1, 192, 56, 56])).toEqual([[1, 192, 28, 28]]);
    expect(out(pool({ kernel_size: 3, stride: 2 }), [1, 192, 28, 28])).toEqual([[1, 192, 14, 14]]);
    expect(out(pool({ kernel_size: 3, stride: 2 }), [1, 192, 14, 14])).toEqual([[1, 192, 7, 7]]);
  });
  test('round_mode FLOOR', () => {
    expect(out(pool({ kernel_size: 3, stride: 2, round_mode: 'FLOOR' }), [1, 1, 112, 112])).toEqual([[1, 1, 55, 55]]);
  });
  test('pad clip: the last window may not start in the right padding', () => {
    // ceil((5 + 2 - 2)/2) + 1 = 4, but (4-1)*2 = 6 >= 5 + 1, so 3
    expect(pooledSize(5, 2, 2, 1, 'CEIL', true)).toBe(3);
    // AVE 3x3/s1/pad 1 keeps the size (SE-BN-Inception's pool branches)
    expect(out(pool({ pool: 'AVE', kernel_size: 3, stride: 1, pad: 1 }), [1, 8, 28, 28])).toEqual([[1, 8, 28, 28]]);
    // 3x3/s2/pad1 on 112: ceil(111/2)+1 = 57, (56*2 = 112) >= 113? no -> 57
    expect(pooledSize(112, 3, 2, 1, 'CEIL', true)).toBe(57);
    // 3x3/s2/pad1 on 7: ceil(6/2)+1 = 4, 3*2 = 6 >= 8? no -> 4; on 6: ceil(5/2)+1 = 4, 6 >= 7? no -> 4
    expect(pooledSize(7, 3, 2, 1, 'CEIL', true)).toBe(4);
    // 2x2/s2/pad1 on 4: ceil(4/2)+1 = 3, 2*2 = 4 >= 5? no -> 3; on 3: ceil(3/2)+1 = 3, 4 >= 4 -> 2
    expect(pooledSize(3, 2, 2, 1, 'CEIL', true)).toBe(2);
  });
  test('the pad clip applies to both axes when either is padded, to neither without padding (real Caffe)', () => {
    // 2x2/s3 on 9x9: ceil(7/3)+1 = 4 on an unpadded axis; Caffe 1.0 gave 4x3 with pad_h 1 pad_w 0,
    // 3x4 with pad_h 0 pad_w 1 and 4x4 with no padding (its last row and column past the input).
    expect(out(pool({ pool: 'MAX', kernel_size: 2, stride: 3, pad_h: 1, pad_w: 0 }), [1, 1, 9, 9])).toEqual([[1, 1, 4, 3]]);
    expect(out(pool({ pool: 'AVE', kernel_size: 2, stride: 3, pad_h: 0, pad_w: 1 }), [1, 1, 9, 9])).toEqual([[1, 1, 3, 4]]);
    expect(out(pool({ pool: 'MAX', kernel_size: 2, stride: 3 }), [1, 1, 9, 9])).toEqual([[1, 1, 4, 4]]);
    expect(pooledSize(9, 2, 3, 0, 'CEIL', true)).toBe(3);
    expect(pooledSize(9, 2, 3, 0, 'CEIL', false)).toBe(4);
  });
  test('global pooling: 7x7 -> 1x1; kernel_h/w, pad_h/w, stride_h/w', () => {
    expect(out(pool({ pool: 'AVE', global_pooling: true }), [1, 2048, 7, 7])).toEqual([[1, 2048, 1, 1]]);
    expect(out(pool({ pool: 'AVE', kernel_size: 7, stride: 1 }), [1, 2048, 7, 7])).toEqual([[1, 2048, 1, 1]]);
    expect(out(pool({ kernel_h: 3, kernel_w: 2, stride_h: 2, stride_w: 1, pad_h: 1, pad_w: 0 }), [1, 1, 9, 9])).toEqual([[1, 1, 5, 8]]);
  });
  test('invalid params', () => {
    expect(() => out(pool({ global_pooling: true, kernel_size: 3 }), [1, 1, 7, 7])).toThrow(/global_pooling/);
    expect(() => out(pool({ global_pooling: true, stride: 2 }), [1, 1, 7, 7])).toThrow(/stride = 1/);
    expect(() => out(pool({}), [1, 1, 7, 7])).toThrow(/kernel_size is required/);
    expect(() => out(pool({ kernel_h: 3 }), [1, 1, 7, 7])).toThrow(/both kernel_h and kernel_w/);
    expect(() => out(pool({ kernel_size: 3, pad: 3 }), [1, 1, 7, 7])).toThrow(/smaller than the kernel/);
    expect(() => out(pool({ kernel_size: 3, pad: 1, pool: 'STOCHASTIC' }), [1, 1, 7, 7])).toThrow(/MAX and AVE/);
    expect(() => out(pool({ kernel_size: 3, pad_h: 1 }), [1, 1, 7, 7])).toThrow(/both pad_h and pad_w/);
    expect(() => out(pool({ kernel_size: 3 }), [1, 7, 7])).toThrow(/4 axes/);
  });
});

describe('InnerProduct', () => {
  test('axis 1 flattens the rest; weights [N, K] or [K, N] transposed', () => {
    const l = L('InnerProduct', { inner_product_param: { num_output: 1000 } });
    expect(out(l, [2, 2048, 1, 1])).toEqual([[2, 1000]]);
    expect(blobs(l, [2, 2048, 1, 1])).toEqual([[1000, 2048], [1000]]);
    const t = L('InnerProduct', { inner_product_param: { num_output: 10, transpose: true, bias_term: false, axis: 2 } });
    expect(out(t, [2, 3, 4, 5])).toEqual([[2, 3, 10]]);
    expect(blobs(t, [2, 3, 4, 5])).toEqual([[20, 10]]);
    expect(handlerFor(t).macs(t, [[2, 3, 4, 5]], [[2, 3, 10]])).toBe(200);
  });
});

describe('BatchNorm, Scale, Bias, PReLU', () => {
  test('BatchNorm blobs: mean [C], variance [C], scale factor [1], all statistics', () => {
    const l = L('BatchNorm');
    expect(blobs(l, [1, 64, 5, 5])).toEqual([[64], [64], [1]]);
    expect(handlerFor(l).statisticBlobs).toEqual([0, 1, 2]);
  });
  test('Scale with one bottom: [gamma, beta?] over axis..axis+num_axes', () => {
    expect(blobs(L('Scale', { scale_param: { bias_term: true } }), [1, 64, 5, 5])).toEqual([[64], [64]]);
    expect(blobs(L('Scale'), [1, 64, 5, 5])).toEqual([[64]]);
    expect(blobs(L('Scale', { scale_param: { axis: 1, num_axes: -1 } }), [1, 64, 5, 5])).toEqual([[64, 5, 5]]);
    expect(blobs(L('Scale', { scale_param: { num_axes: 0 } }), [1, 64, 5, 5])).toEqual([[]]);
    expect(() => blobs(L('Scale', { scale_param: { axis: 3, num_axes: 2 } }), [1, 64, 5, 5])).toThrow(/exceeds/);
  });
  test('Scale with two bottoms: [beta?]; operand must match at axis', () => {
    const l = L('Scale', { bottom: ['x', 's'], scale_param: { axis: 0, bias_term: true } });
    expect(out(l, [1, 64, 5, 5], [1, 64])).toEqual([[1, 64, 5, 5]]);
    expect(blobs(l, [1, 64, 5, 5], [1, 64])).toEqual([[1, 64]]);
    expect(blobs(L('Scale', { bottom: ['x', 's'] }), [1, 64, 5, 5], [64])).toEqual([]);
    expect(() => out(l, [1, 64, 5, 5], [1, 32])).toThrow(/'s'.*does not match 'x'/);
  });
  test('Bias', () => {
    expect(blobs(L('Bias'), [1, 64, 5, 5])).toEqual([[64]]);
    expect(blobs(L('Bias', { bottom: ['x', 'b'] }), [1, 64, 5, 5], [64, 5])).toEqual([]);
  });
  test('PReLU: [C], or a 0-axis blob (one element) when channel_shared, as Caffe stores it', () => {
    expect(blobs(L('PReLU'), [1, 32, 5, 5])).toEqual([[32]]);
    expect(blobs(L('PReLU', { prelu_param: { channel_shared: true } }), [1, 32, 5, 5])).toEqual([[]]);
  });
});

describe('joins and cuts', () => {
  test('Eltwise: same shapes; coeff per bottom', () => {
    const l = L('Eltwise', { bottom: ['a', 'b'] });
    expect(out(l, [1, 8, 4, 4], [1, 8, 4, 4])).toEqual([[1, 8, 4, 4]]);
    expect(() => out(l, [1, 8, 4, 4], [1, 8, 4, 5])).toThrow(/'a' \[1, 8, 4, 4\] vs 'b' \[1, 8, 4, 5\]/);
    expect(() => out(L('Eltwise', { bottom: ['a', 'b'], eltwise_param: { coeff: [1] } }), [1], [1])).toThrow(/one coeff per bottom/);
  });
  test('Concat: axis or concat_dim; other dims must match', () => {
    const l = L('Concat', { bottom: ['a', 'b', 'c'] });
    expect(out(l, [1, 8, 4, 4], [1, 16, 4, 4], [1, 2, 4, 4])).toEqual([[1, 26, 4, 4]]);
    expect(out(L('Concat', { bottom: ['a', 'b'], concat_param: { concat_dim: 0 } }), [1, 8], [3, 8])).toEqual([[4, 8]]);
    expect(out(L('Concat', { bottom: ['a', 'b'], concat_param: { axis: -1 } }), [1, 8], [1, 3])).toEqual([[1, 11]]);
    expect(() => out(l, [1, 8, 4, 4], [1, 16, 4, 5], [1, 2, 4, 4])).toThrow(/every axis but 1.*'b'/);
    expect(() => out(L('Concat', { bottom: ['a', 'b'], concat_param: { axis: 1, concat_dim: 1 } }), [1, 8], [1, 3])).toThrow(/not both/);
  });
  test('Slice: slice_point or even split; axis or slice_dim', () => {
    const l = L('Slice', { top: ['a', 'b', 'c'], slice_param: { slice_point: [2, 5] } });
    expect(out(l, [1, 8, 3])).toEqual([[1, 2, 3], [1, 3, 3], [1, 3, 3]]);
    expect(out(L('Slice', { top: ['a', 'b'], slice_param: { slice_dim: 2 } }), [1, 8, 6])).toEqual([[1, 8, 3], [1, 8, 3]]);
    expect(() => out(L('Slice', { top: ['a', 'b', 'c'] }), [1, 8])).toThrow(/evenly/);
    expect(() => out(L('Slice', { top: ['a', 'b'], slice_param: { slice_point: [8] } }), [1, 8])).toThrow(/increase strictly/);
  });
  test('Split copies', () => {
    expect(out(L('Split', { top: ['a', 'b'] }), [2, 3])).toEqual([[2, 3], [2, 3]]);
  });
  test('Axpy: X shape; a must be N x C (x1x1)', () => {
    const l = L('Axpy', { bottom: ['a', 'x', 'y'] });
    expect(out(l, [1, 64, 1, 1], [1, 64, 7, 7], [1, 64, 7, 7])).toEqual([[1, 64, 7, 7]]);
    expect(out(l, [1, 64], [1, 64, 7, 7], [1, 64, 7, 7])).toEqual([[1, 64, 7, 7]]);
    expect(() => out(l, [1, 64, 2, 1], [1, 64, 7, 7], [1, 64, 7, 7])).toThrow(/N x C/);
    expect(() => out(l, [1, 64], [1, 64, 7, 7], [1, 64, 7, 6])).toThrow(/'x'.*'y'.*differ/);
  });
});

describe('Reshape and Flatten', () => {
  const r = (p: LayerParameter['reshape_param']): LayerParameter => L('Reshape', { reshape_param: p });
  test('0 copies, -1 infers', () => {
    expect(out(r({ shape: { dim: [0, 0] } }), [1, 64, 1, 1])).toEqual([[1, 64]]);
    expect(out(r({ shape: { dim: [0, -1] } }), [2, 3, 4, 5])).toEqual([[2, 60]]);
    expect(out(r({ shape: { dim: [-1, 4] } }), [2, 3, 4])).toEqual([[6, 4]]);
  });
  test('axis and num_axes replace a range', () => {
    expect(out(r({ shape: { dim: [2, 2] }, axis: 1, num_axes: 1 }), [3, 4, 5])).toEqual([[3, 2, 2, 5]]);
    expect(out(r({ shape: { dim: [1, 1] }, axis: -1, num_axes: 0 }), [3, 4])).toEqual([[3, 4, 1, 1]]);
    expect(out(r({ shape: { dim: [-1] }, axis: 1 }), [3, 4, 5])).toEqual([[3, 20]]);
  });
  test('errors', () => {
    expect(() => out(r({ shape: { dim: [-1, -1] } }), [4])).toThrow(/at most one/);
    expect(() => out(r({ shape: { dim: [7, -1] } }), [2, 5])).toThrow(/divisible/);
    expect(() => out(r({ shape: { dim: [3, 3] } }), [2, 5])).toThrow(/element count/);
  });
  test('Flatten: axis..end_axis collapse', () => {
    expect(out(L('Flatten'), [2, 3, 4, 5])).toEqual([[2, 60]]);
    expect(out(L('Flatten', { flatten_param: { axis: 1, end_axis: 2 } }), [2, 3, 4, 5])).toEqual([[2, 12, 5]]);
    expect(out(L('Flatten', { flatten_param: { axis: 0 } }), [2, 3])).toEqual([[6]]);
  });
});

describe('same-shape and output layers', () => {
  test.each(['ReLU', 'ELU', 'Sigmoid', 'TanH', 'Power', 'AbsVal', 'Exp', 'Log', 'BNLL', 'Threshold', 'Dropout', 'LRN', 'Softmax'])(
    '%s keeps the shape and learns nothing',
    (type) => {
      expect(out(L(type), [2, 3, 4, 5])).toEqual([[2, 3, 4, 5]]);
      expect(blobs(L(type), [2, 3, 4, 5])).toEqual([]);
    },
  );
  test('LRN checks', () => {
    expect(() => out(L('LRN', { lrn_param: { local_size: 4 } }), [1, 2, 3, 3])).toThrow(/odd/);
  });
  test('SoftmaxWithLoss, Accuracy: scalar loss, optional second top', () => {
    const sl = L('SoftmaxWithLoss', { bottom: ['s', 'l'], top: ['loss', 'p'] });
    expect(out(sl, [8, 10], [8])).toEqual([[], [8, 10]]);
    expect(() => out(sl, [8, 10], [7])).toThrow(/'l'/);
    const acc = L('Accuracy', { bottom: ['s', 'l'], top: ['a', 'pc'] });
    expect(out(acc, [8, 10], [8])).toEqual([[], [10]]);
  });
  test('ArgMax', () => {
    expect(out(L('ArgMax'), [2, 10])).toEqual([[2, 1, 1]]);
    expect(out(L('ArgMax', { argmax_param: { out_max_val: true, top_k: 3 } }), [2, 10, 1, 1])).toEqual([[2, 2, 3, 1]]);
    expect(out(L('ArgMax', { argmax_param: { axis: 1, top_k: 5 } }), [2, 10, 3])).toEqual([[2, 5, 3]]);
  });
  test('Silence has no tops', () => {
    expect(out(L('Silence', { top: [] }), [2, 10])).toEqual([]);
  });
});

describe('data layers', () => {
  test('Input: one shape for all tops or one per top', () => {
    expect(out({ name: 'i', type: 'Input', top: ['a', 'b'], input_param: { shape: [{ dim: [1, 2] }] } })).toEqual([[1, 2], [1, 2]]);
    expect(() => out({ name: 'i', type: 'Input', top: ['a', 'b', 'c'], input_param: { shape: [{ dim: [1] }, { dim: [2] }] } })).toThrow(/one per top/);
  });
  test('what the params determine; -1 marks the rest', () => {
    expect(out({ name: 'd', type: 'Data', top: ['data', 'label'], data_param: { batch_size: 32 }, transform_param: { crop_size: 227 } })).toEqual([
      [32, -1, 227, 227],
      [32],
    ]);
    expect(out({ name: 'd', type: 'ImageData', top: ['data', 'label'], image_data_param: { batch_size: 4, new_height: 256, new_width: 128, is_color: false } })).toEqual([
      [4, 1, 256, 128],
      [4],
    ]);
    expect(out({ name: 'd', type: 'MemoryData', top: ['data', 'label'], memory_data_param: { batch_size: 4, channels: 3, height: 5, width: 6 } })).toEqual([
      [4, 3, 5, 6],
      [4, 1, 1, 1],
    ]);
    expect(out({ name: 'd', type: 'HDF5Data', top: ['data'], hdf5_data_param: { batch_size: 4 } })).toEqual([[4, -1]]);
    expect(out({ name: 'd', type: 'DummyData', top: ['a', 'b'], dummy_data_param: { num: [2], channels: [3, 1], height: [4], width: [5] } })).toEqual([
      [2, 3, 4, 5],
      [2, 1, 4, 5],
    ]);
    expect(out({ name: 'd', type: 'DummyData', top: ['a'], dummy_data_param: { shape: [{ dim: [7, 2] }] } })).toEqual([[7, 2]]);
    expect(() => out({ name: 'd', type: 'Data', top: ['data'] })).toThrow(/batch_size/);
  });
});
