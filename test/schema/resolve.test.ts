/** Resolved views: caffe.proto's declared defaults filled in by reflection, given values kept. */
import { caffeType, layerParam, resolveMessage, type LayerParameter } from '../../src/schema';

describe('layerParam / resolveMessage', () => {
  it("fills every declared default from caffe.proto, by the schema's own reflection", () => {
    const conv = layerParam({ name: 'c', type: 'Convolution' }, 'convolution_param');
    const fields = caffeType('ConvolutionParameter').fieldsArray.filter((f) => !f.repeated && f.options?.default !== undefined);
    expect(fields.map((f) => f.name)).toEqual(['bias_term', 'group', 'pad_h', 'pad_w', 'engine', 'axis', 'force_nd_im2col']);
    expect(conv).toEqual({ bias_term: true, group: 1, pad_h: 0, pad_w: 0, engine: 'DEFAULT', axis: 1, force_nd_im2col: false });
    const lrn = layerParam({}, 'lrn_param');
    expect([lrn.local_size, lrn.alpha, lrn.beta, lrn.k, lrn.norm_region]).toEqual([5, 1, 0.75, 1, 'ACROSS_CHANNELS']);
    expect(layerParam({}, 'pooling_param').round_mode).toBe('CEIL');
    expect(layerParam({}, 'batch_norm_param').eps).toBeCloseTo(1e-5, 12);
  });

  it('keeps given values, ignores keys set to undefined, leaves fields without a default absent', () => {
    const layer: LayerParameter = { convolution_param: { group: 4, bias_term: undefined, num_output: 8, kernel_size: [3] } };
    const p = layerParam(layer, 'convolution_param');
    expect(p.group).toBe(4);
    expect(p.bias_term).toBe(true);
    expect(p.num_output).toBe(8);
    expect(p.kernel_size).toEqual([3]);
    expect('stride_h' in p).toBe(false);
    // The layer's own message is not changed.
    expect(layer.convolution_param).toEqual({ group: 4, bias_term: undefined, num_output: 8, kernel_size: [3] });
    expect(resolveMessage('ScaleParameter', { axis: 0 })).toEqual({ axis: 0, num_axes: 1, bias_term: false });
  });
});
