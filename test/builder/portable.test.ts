/**
 * `portableNet`: Axpy rewritten into the stock layers of `--flavor bvlc`, from one definition
 * (src/builder/stock-axpy.ts): an official net made portable is byte for byte the bvlc flavour.
 */
import { archs, resolveOptions } from '../../src/archs';
import { NetBuilder, portableNet, printNet } from '../../src/builder';
import { NetError } from '../../src/errors';
import { inferShapes } from '../../src/layers';

describe('portableNet', () => {
  const senet = archs.filter((e) => ['se-resnet-50', 'se-resnet-101', 'se-resnet-152', 'se-resnext-50', 'se-resnext-101', 'se-bn-inception', 'senet-154'].includes(e.id));

  it.each(senet.map((e) => [e.id, e] as const))('%s: portable(official) is the bvlc flavour, byte for byte', (_id, e) => {
    const official = e.build(resolveOptions(e, { flavor: 'official' }));
    const bvlc = e.build(resolveOptions(e, { flavor: 'bvlc' }));
    const axpys = (official.build().layer ?? []).filter((l) => l.type === 'Axpy').map((l) => l.name);
    const { net, rewritten } = portableNet(official.build());
    expect(rewritten).toEqual(axpys);
    expect(printNet(net, official.comments)).toBe(bvlc.toPrototxt());
    expect((net.layer ?? []).some((l) => l.type === 'Axpy')).toBe(false);
    // The learnable layers are the same ones, in the same order.
    const learnable = (n: typeof net): string[] => inferShapes(n).layers.filter((l) => l.blobShapes.length > 0).map((l) => `${l.name}:${l.blobShapes.map((s) => s.join('x')).join(',')}`);
    expect(learnable(net)).toEqual(learnable(official.build()));
  });

  function tiny(mutate?: (b: NetBuilder) => void): NetBuilder {
    const b = new NetBuilder('t');
    const x = b.input('data', [1, 4, 5, 5]);
    const g = b.sigmoid('g', b.pool('gap', x, { pool: 'AVE', global_pooling: true }));
    const y = b.conv('y', x, { num_output: 4, kernel_size: 1 });
    mutate?.(b);
    b.axpy('sum', g, x, y, { include: { phase: 'TEST' } });
    return b;
  }

  it('keeps the layer-level fields (phase rules) on each stock layer; the sum keeps the layer name and top', () => {
    const { net } = portableNet(tiny().build());
    const added = (net.layer ?? []).slice(-3);
    expect(added.map((l) => [l.name, l.type, l.bottom, l.top])).toEqual([
      ['sum_prob_reshape', 'Reshape', ['g'], ['sum_prob_reshape']],
      ['sum_scale', 'Scale', ['data', 'sum_prob_reshape'], ['sum_scale']],
      ['sum', 'Eltwise', ['sum_scale', 'y'], ['sum']],
    ]);
    for (const l of added) expect(l.include).toEqual([{ phase: 'TEST' }]);
    expect(inferShapes(net).blobs.get('sum')).toEqual([1, 4, 5, 5]);
  });

  it('refuses an in-place Axpy and a name the stock form needs, naming the layer', () => {
    const inPlace = tiny().build();
    inPlace.layer![inPlace.layer!.length - 1].top = ['y'];
    expect(() => portableNet(inPlace)).toThrow(NetError);
    expect(() => portableNet(inPlace)).toThrow(/sum.*in place into its bottom 'y'/);
    const taken = tiny((b) => b.relu('sum_scale', b.input('other', [1, 1, 1, 1]))).build();
    expect(() => portableNet(taken)).toThrow(/'sum_scale'/);
  });

  it('a net without Axpy comes back unchanged', () => {
    const e = archs.find((a) => a.id === 'resnet-50')!;
    const net = e.build(resolveOptions(e, {})).build();
    const r = portableNet(net);
    expect(r.rewritten).toEqual([]);
    expect(r.net).toEqual(net);
  });
});
