import { NetBuilder } from '../../src/builder';
import { NetError } from '../../src/errors';
import { caffeType } from '../../src/schema';
import { parseText } from '../../src/textformat';

function tinyNet(): NetBuilder {
  const n = new NetBuilder('tiny', { comments: ['mean_value: 104, 117, 123'] });
  const data = n.input('data', [1, 3, 8, 8]);
  let x = n.conv('conv1', data, { num_output: 4, bias_term: false, pad: 1, kernel_size: 3, stride: 2 });
  x = n.batchNorm('conv1/bn', x, { use_global_stats: true });
  x = n.scale('conv1/bn/scale', x, { bias_term: true });
  x = n.relu('conv1/relu', x);
  const p = n.pool('pool1', x, { pool: 'MAX', kernel_size: 3, stride: 2 });
  const g = n.pool('gap', p, { pool: 'AVE', global_pooling: true });
  n.softmax('prob', n.fc('fc', g, { num_output: 10 }));
  return n;
}

describe('NetBuilder', () => {
  it('builds layers in call order with loose repeated fields normalised to arrays', () => {
    const net = tinyNet().build();
    expect(net.layer!.map((l) => l.name)).toEqual(['data', 'conv1', 'conv1/bn', 'conv1/bn/scale', 'conv1/relu', 'pool1', 'gap', 'fc', 'prob']);
    expect(net.layer![1]).toEqual({
      name: 'conv1',
      type: 'Convolution',
      bottom: ['data'],
      top: ['conv1'],
      convolution_param: { num_output: 4, bias_term: false, pad: [1], kernel_size: [3], stride: [2] },
    });
    expect(net.layer![0].input_param).toEqual({ shape: [{ dim: [1, 3, 8, 8] }] });
  });

  it('writes in-place layers into their bottom blob', () => {
    const net = tinyNet().build();
    const relu = net.layer!.find((l) => l.name === 'conv1/relu')!;
    expect(relu.bottom).toEqual(['conv1']);
    expect(relu.top).toEqual(['conv1']);
    expect(net.layer!.find((l) => l.name === 'pool1')!.bottom).toEqual(['conv1']);
  });

  it('prints canonically with the comment after the name line, and the text parses back to the same net', () => {
    const n = tinyNet();
    const text = n.toPrototxt();
    expect(text.split('\n').slice(0, 3)).toEqual(['name: "tiny"', '# mean_value: 104, 117, 123', 'layer {']);
    expect(parseText(text, caffeType('NetParameter'), 'tiny.prototxt')).toEqual(n.build());
  });

  it('rejects duplicate layer names, foreign tops and unknown fields', () => {
    const n = new NetBuilder('a');
    const x = n.input('data', [1, 3, 4, 4]);
    expect(() => n.relu('data', x)).toThrow(NetError);
    const other = new NetBuilder('b');
    expect(() => other.relu('r', x)).toThrow(/belongs to another net/);
    // Deliberately wrong field, as a JS caller could pass.
    expect(() => n.conv('c', x, { num_outputs: 3 } as unknown as { num_output: number })).toThrow(/no field 'num_outputs'/);
  });

  it('keeps built nets independent of later additions', () => {
    const n = new NetBuilder('a');
    const x = n.input('data', [1, 1, 2, 2]);
    const before = n.build();
    n.relu('r', x);
    expect(before.layer).toHaveLength(1);
  });
});

describe('NetBuilder phases', () => {
  it('allows one name for two layers included in different phases, as train/test files do', () => {
    const n = new NetBuilder('tt');
    n.add('Data', 'data', [], { include: { phase: 'TRAIN' }, data_param: { source: 'train_lmdb', batch_size: 8 } }, { tops: ['data', 'label'] });
    n.add('Data', 'data', [], { include: { phase: 'TEST' }, data_param: { source: 'val_lmdb', batch_size: 4 } }, { tops: ['data', 'label'] });
    expect(n.layerNames()).toEqual(['data', 'data']);
    expect(() => n.add('Data', 'data', [], { include: { phase: 'TEST' } }, { tops: ['d2'] })).toThrow(/disjoint phases/);
    const m = new NetBuilder('m');
    m.input('data', [1, 1, 2, 2]);
    expect(() => m.add('Data', 'data', [], { include: { phase: 'TEST' } })).toThrow(NetError);
  });
});
