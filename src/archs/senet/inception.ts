/**
 * SE-BN-Inception: BN-Inception (Inception-v2 with BatchNorm) with an SE block after every module's
 * concat. The release gates with Reshape + two-bottom Scale (axis 0), stock layers, so both flavours
 * are the same net.
 */
import type { NetBuilder, Top } from '../../builder';
import { ArchContext, RELEASE, seScale } from '../common';
import type { ArchOptions } from '../types';

/**
 * One module row: `[1x1, 3x3 reduce, 3x3, double-3x3 reduce, double-3x3, pool, pool proj]`.
 * A reduction module (stride 2, no 1x1 branch, MAX pool without projection) has `oneByOne: 0`.
 */
interface Module {
  name: string;
  oneByOne: number;
  reduce3: number;
  conv3: number;
  reduceD: number;
  convD: number;
  pool: 'AVE' | 'MAX';
  /** 0: reduction module. */
  poolProj: number;
}

function mod(name: string, row: [number, number, number, number, number, 'AVE' | 'MAX', number]): Module {
  const [oneByOne, reduce3, conv3, reduceD, convD, pool, poolProj] = row;
  return { name, oneByOne, reduce3, conv3, reduceD, convD, pool, poolProj };
}

/** The BN-Inception table (Ioffe & Szegedy 2015, Figure 5), as in the release. */
const MODULES: Module[] = [
  mod('3a', [64, 64, 64, 64, 96, 'AVE', 32]),
  mod('3b', [64, 64, 96, 64, 96, 'AVE', 64]),
  mod('3c', [0, 128, 160, 64, 96, 'MAX', 0]),
  mod('4a', [224, 64, 96, 96, 128, 'AVE', 128]),
  mod('4b', [192, 96, 128, 96, 128, 'AVE', 128]),
  mod('4c', [160, 128, 160, 128, 160, 'AVE', 128]),
  mod('4d', [96, 128, 192, 160, 192, 'AVE', 128]),
  mod('4e', [0, 128, 192, 192, 256, 'MAX', 0]),
  mod('5a', [352, 192, 320, 160, 224, 'AVE', 128]),
  mod('5b', [352, 192, 320, 192, 224, 'MAX', 128]),
];

/**
 * Conv + BN + Scale + ReLU with the Inception naming: `<scope>/<name>`, ReLU `<scope>/relu_<relu>`;
 * pad keeps the map size, stride is written only when it is not 1, as in the release.
 */
function cbr(t: ArchContext, c: { scope: string; name: string; bottom: Top; out: number; kernel: 1 | 3 | 7; stride?: number; relu?: string }): Top {
  const conv = `${c.scope}/${c.name}`;
  const { kernel } = c;
  return t.convBn({
    name: conv,
    bottom: c.bottom,
    out: c.out,
    bias: false,
    pad: kernel === 1 ? undefined : (kernel - 1) / 2,
    kernel,
    stride: c.stride === 1 ? undefined : c.stride,
    bn: `${conv}/bn`,
    scale: `${conv}/bn/scale`,
    relu: `${c.scope}/relu_${c.relu ?? c.name}`,
  });
}

/** Returns the module's output and its channel count (`inC`: channels entering the module). */
function inceptionModule(t: ArchContext, m: Module, x: Top, inC: number): [Top, number] {
  const scope = `inception_${m.name}`;
  const reduction = m.poolProj === 0;
  const stride = reduction ? 2 : 1;
  const branches: Top[] = [];
  if (!reduction) branches.push(cbr(t, { scope, name: '1x1', bottom: x, out: m.oneByOne, kernel: 1 }));
  const r3 = cbr(t, { scope, name: '3x3_reduce', bottom: x, out: m.reduce3, kernel: 1 });
  branches.push(cbr(t, { scope, name: '3x3', bottom: r3, out: m.conv3, kernel: 3, stride }));
  let d = cbr(t, { scope, name: 'double3x3_reduce', bottom: x, out: m.reduceD, kernel: 1 });
  d = cbr(t, { scope, name: 'double3x3a', bottom: d, out: m.convD, kernel: 3 });
  branches.push(cbr(t, { scope, name: 'double3x3b', bottom: d, out: m.convD, kernel: 3, stride }));
  if (reduction) {
    branches.push(t.pool({ name: `${scope}/pool/3x3_s2`, bottom: x, pool: 'MAX', kernel: 3, stride: 2 }));
  } else {
    const p = t.pool({ name: `${scope}/pool`, bottom: x, pool: m.pool, kernel: 3, stride: 1, pad: 1 });
    branches.push(cbr(t, { scope, name: 'pool_proj', bottom: p, out: m.poolProj, kernel: 1 }));
  }
  const concat = t.concat({ name: `${scope}/concat`, bottoms: branches });
  // A reduction module's pool branch passes its input channels through.
  const channels = (reduction ? inC : m.oneByOne + m.poolProj) + m.conv3 + m.convD;
  return [seScale(t, { unit: scope, bottom: concat, channels, top: `${scope}/output` }), channels];
}

export function buildSeBnInception(opts: ArchOptions): NetBuilder {
  const t = new ArchContext(opts, 'SE-BN-Inception', RELEASE);
  let x = cbr(t, { scope: 'conv1', name: '7x7_s2', bottom: t.data(), out: 64, kernel: 7, stride: 2, relu: '7x7' });
  x = t.pool({ name: 'pool1/3x3_s2', bottom: x, pool: 'MAX', kernel: 3, stride: 2 });
  x = cbr(t, { scope: 'conv2', name: '3x3_reduce', bottom: x, out: 64, kernel: 1 });
  x = cbr(t, { scope: 'conv2', name: '3x3', bottom: x, out: 192, kernel: 3 });
  x = t.pool({ name: 'pool2/3x3_s2', bottom: x, pool: 'MAX', kernel: 3, stride: 2 });
  let channels = 192;
  for (const m of MODULES) [x, channels] = inceptionModule(t, m, x, channels);
  x = t.finalPool({ name: 'pool5/7x7_s1', bottom: x, kernel: 7 });
  t.head({ name: 'classifier', bottom: x });
  return t.n;
}
