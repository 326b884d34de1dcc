/**
 * The SENet release policy (class order 'senet', BGR, mean 104/117/123) follows the net's
 * structure or an explicit option, never its name.
 */
import * as path from 'path';
import { archs, findArch, resolveOptions, senetArchs } from '../../src/archs';
import { NetBuilder } from '../../src/builder';
import { randomWeights } from '../../src/reference';
import { convertNet, officialArchitecture, prepareNet, releasePolicyFor, SENET_RELEASE } from '../../src/convert';
import type { NetParameter } from '../../src/schema';
import { readNetText } from '../../src/upgrade';
import type { Caffemodel } from '../../src/caffemodel';

const OFFICIAL = path.join(__dirname, '../fixtures/senet-official');

function randomCaffemodel(net: NetParameter): Caffemodel {
  const ws = randomWeights(net, { seed: 2 });
  return { format: 'V2', net: { name: net.name }, layers: ws.map((w) => ({ name: w.name, type: w.type, blobs: w.blobs.map((b) => ({ shape: b.shape, legacy: false, data: b.data })) })) };
}

const testLayers = (net: NetParameter, inputShape?: number[]) => prepareNet(net, inputShape, 'tfjs').params;

function generated(id: string, opts: Parameters<typeof resolveOptions>[1] = {}): NetParameter {
  const entry = findArch(id);
  return entry.build(resolveOptions(entry, { phase: 'deploy', ...opts })).build();
}

describe('release policy by structure', () => {
  it('recognises the four official prototxts of the release as their architectures', () => {
    const ids: Record<string, string> = { 'SE-ResNet-50': 'se-resnet-50', 'SE-ResNeXt-50': 'se-resnext-50', 'SE-BN-Inception': 'se-bn-inception', 'SENet-154': 'senet-154' };
    for (const [file, id] of Object.entries(ids)) {
      const net = readNetText(path.join(OFFICIAL, `${file}.prototxt`));
      expect([file, officialArchitecture(testLayers(net))]).toEqual([file, id]);
      // Renamed, the structure still says what it is.
      expect(officialArchitecture(testLayers({ ...net, name: 'my-net' }))).toBe(id);
    }
  });

  it('recognises every official generator in both flavours, at any input size and batch', () => {
    for (const entry of senetArchs) {
      for (const flavor of ['official', 'bvlc'] as const) {
        expect([entry.id, flavor, officialArchitecture(testLayers(generated(entry.id, { flavor })))]).toEqual([entry.id, flavor, entry.id]);
      }
    }
    expect(officialArchitecture(testLayers(generated('se-resnet-101', { inputSize: 320, batch: 4 })))).toBe('se-resnet-101');
    // The shape given at conversion time does not matter either.
    expect(officialArchitecture(testLayers(generated('se-resnext-50'), [8, 3, 256, 256]))).toBe('se-resnext-50');
  });

  it('does not recognise other nets: toolkit families, SE off, other class counts or reductions', () => {
    const others = archs.filter((a) => !senetArchs.includes(a));
    expect(others.length).toBeGreaterThan(0);
    for (const entry of others) expect([entry.id, officialArchitecture(testLayers(generated(entry.id)))]).toEqual([entry.id, undefined]);
    expect(officialArchitecture(testLayers(generated('se-resnet-50', { se: false })))).toBeUndefined();
    expect(officialArchitecture(testLayers(generated('se-resnet-50', { numClasses: 10 })))).toBeUndefined();
    expect(officialArchitecture(testLayers(generated('se-resnet-50', { reduction: 8 })))).toBeUndefined();
    // One changed parameter (a stride) is another net.
    const net = generated('se-resnet-50');
    const conv = net.layer!.find((l) => l.type === 'Convolution')!;
    conv.convolution_param = { ...conv.convolution_param, stride: [1] };
    expect(officialArchitecture(testLayers(net))).toBeUndefined();
  });

  it('the explicit option wins both ways', () => {
    const layers = testLayers(generated('se-resnet-50'));
    expect(releasePolicyFor(layers, undefined)).toBe(SENET_RELEASE);
    expect(releasePolicyFor(layers, false)).toBeUndefined();
    // Without a 1000-way classifier a net is not compared at all (and true still applies).
    expect(releasePolicyFor(layers, undefined, false)).toBeUndefined();
    expect(releasePolicyFor(layers, true, false)).toBe(SENET_RELEASE);
    const b = new NetBuilder('plain');
    b.fc('fc', b.input('data', [1, 3, 2, 2]), { num_output: 3 });
    const plain = testLayers(b.build());
    expect(releasePolicyFor(plain, undefined)).toBeUndefined();
    expect(releasePolicyFor(plain, true)).toBe(SENET_RELEASE);
  });
});

describe('release policy never by name', () => {
  /** A small 1000-way classifier named like the release's nets. */
  function namedNet(name: string): NetParameter {
    const b = new NetBuilder(name);
    const x = b.input('data', [1, 3, 4, 4]);
    const p = b.pool('pool', b.conv('conv1', x, { num_output: 2, kernel_size: 3, pad: 1 }), { pool: 'AVE', global_pooling: true });
    b.softmax('prob', b.fc('classifier', p, { num_output: 1000 }));
    return b.build();
  }

  it("a user net named 'SE-foo' gets no class order and no preprocessing", () => {
    for (const name of ['SE-foo', 'SENet-154', 'SE-ResNet-50']) {
      const net = namedNet(name);
      const c = convertNet({ net, weights: randomCaffemodel(net), phase: 'TEST' });
      expect([name, c.labels, c.metadata.extra?.labelOrder, c.metadata.preprocessing]).toEqual([name, undefined, undefined, undefined]);
    }
  });

  it('the same net with senetRelease gets the release class order and preprocessing', () => {
    const net = namedNet('anything');
    const c = convertNet({ net, weights: randomCaffemodel(net), phase: 'TEST', senetRelease: true });
    expect(c.labels).toEqual({ classifier: 'classifier', from: 'senet', to: 'senet' });
    expect(c.metadata.extra?.labelOrder).toBe('senet');
    expect(c.metadata.preprocessing).toEqual({ mean: [104, 117, 123], channelOrder: 'BGR', inputRange: [0, 255] });
  });
});
