/**
 * The bvlc flavour computes what the official (Axpy) flavour computes: the same weights, loaded by
 * layer name, give the same outputs. Checked on the SE families of the release at a small input
 * (32x32, 10 classes) with the reference forward pass (src/reference/forward.ts, itself
 * checked against real Caffe layer by layer in test/parity), which runs the release's Axpy as
 * Caffe with that layer does and the bvlc gate with stock Reshape, Scale (axis 0) and Eltwise.
 */
import { findArch, resolveOptions, type Flavor } from '../../src/archs';
import { inferShapes } from '../../src/layers';
import { referenceForward, type Tensor } from '../../src/reference';
import type { LayerWeights } from '../../src/caffemodel/types';
import type { NetParameter } from '../../src/schema';

const SIZE = 32;
const INPUT: Tensor = {
  shape: [1, 3, SIZE, SIZE],
  data: new Float32Array(3 * SIZE * SIZE).map((_, i) => Math.sin(i * 0.37) + 0.5 * Math.cos(i * 0.011)),
};

function net(id: string, flavor: Flavor): NetParameter {
  const entry = findArch(id);
  return entry.build(resolveOptions(entry, { flavor, inputSize: SIZE, numClasses: 10 })).build();
}

/**
 * Weights by layer name for every learnable blob, from a fast xorshift stream (the project's
 * randomWeights draws exact normals and is slower than this check needs). Conv and fc weights are
 * scaled by 1/sqrt(fan-in) and BatchNorm statistics are (0, 1) with scale factor 1, so activations
 * stay O(1) through the blocks.
 */
function quickWeights(n: NetParameter): LayerWeights[] {
  let s = 0x9e3779b9;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296 - 0.5;
  };
  return inferShapes(n).layers
    .filter((l) => l.blobShapes.length > 0)
    .map((l) => ({
      name: l.name,
      type: l.type,
      blobs: l.blobShapes.map((shape, i) => {
        const count = shape.reduce((a, d) => a * d, 1);
        const data = new Float32Array(count);
        if (l.type === 'BatchNorm') data.fill(i === 0 ? 0 : 1);
        else if (l.type === 'Scale') for (let k = 0; k < count; k++) data[k] = i === 0 ? 1 + 0.2 * next() : 0.1 * next();
        else {
          const fanIn = shape.length > 1 ? count / shape[0] : 1;
          const scale = i === 0 ? Math.sqrt(6 / fanIn) : 0.1;
          for (let k = 0; k < count; k++) data[k] = next() * scale;
        }
        return { shape, legacy: false, data };
      }),
    }));
}

function run(n: NetParameter, layers: LayerWeights[]): Map<string, Tensor> {
  const weights = new Map(layers.map((l) => [l.name, l.blobs.map((b) => ({ shape: b.shape, data: b.data }))]));
  return referenceForward(n, { inputs: { data: INPUT }, weights });
}

describe.each(['se-resnet-50', 'se-resnext-50', 'se-bn-inception'])('%s: official and bvlc flavours', (id) => {
  it('give the same blobs on the same weights, up to the logits and probabilities', () => {
    const official = net(id, 'official');
    const bvlc = net(id, 'bvlc');
    const layers = quickWeights(official);
    const a = run(official, layers);
    const b = run(bvlc, layers);
    // Every blob both nets have agrees; the bvlc gate's own intermediate blobs (the reshaped gate)
    // have no official counterpart.
    let compared = 0;
    for (const [name, x] of a) {
      const y = b.get(name);
      if (y === undefined) continue;
      compared++;
      expect(y.shape).toEqual(x.shape);
      let peak = 0;
      let worst = 0;
      for (let i = 0; i < x.data.length; i++) {
        peak = Math.max(peak, Math.abs(x.data[i]));
        worst = Math.max(worst, Math.abs(x.data[i] - y.data[i]));
      }
      // Axpy rounds a*X+Y once, Scale then Eltwise twice: a few ulps, carried along the trunk.
      expect(worst).toBeLessThanOrEqual(1e-5 * Math.max(peak, 1));
    }
    // Every blob of the official net (trunk, SE squeezes and gates, sums) has its bvlc counterpart.
    expect([...a.keys()].filter((name) => !b.has(name))).toEqual([]);
    expect(compared).toBe(a.size);
    expect(a.get('prob')!.data.length).toBe(10);
  });
});
