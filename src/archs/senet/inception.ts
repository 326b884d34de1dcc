/**
 * SE-BN-Inception: BN-Inception (Inception-v2 with BatchNorm) with an SE block after every module's
 * concat. The release gates with Reshape + two-bottom Scale (axis 0), stock layers, so both flavours
 * are the same net.
 */
import type { NetBuilder, Top } from '../../builder';
import { ArchContext, seGate, seScale } from '../common';
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

/** Conv + BN + Scale + ReLU with the Inception naming: `<scope>/<name>`, ReLU `<scope>/relu_<name>`. */
function cbr(ctx: ArchContext, scope: string, name: string, x: Top, num: number, k: 1 | 3 | 7, stride = 1, reluName = name): Top {
  const conv = `${scope}/${name}`;
  const pad = k === 1 ? {} : { pad: (k - 1) / 2 };
  const p = { num_output: num, bias_term: false, ...pad, kernel_size: k, ...(stride !== 1 ? { stride } : {}) };
  return ctx.convBn(conv, x, p, { bn: `${conv}/bn`, scale: `${conv}/bn/scale`, relu: `${scope}/relu_${reluName}` });
}

/** Returns the module's output and its channel count (`inC`: channels entering the module). */
function inceptionModule(ctx: ArchContext, m: Module, x: Top, inC: number): [Top, number] {
  const s = `inception_${m.name}`;
  const reduction = m.poolProj === 0;
  const stride = reduction ? 2 : 1;
  const branches: Top[] = [];
  if (!reduction) branches.push(cbr(ctx, s, '1x1', x, m.oneByOne, 1));
  branches.push(cbr(ctx, s, '3x3', cbr(ctx, s, '3x3_reduce', x, m.reduce3, 1), m.conv3, 3, stride));
  let d = cbr(ctx, s, 'double3x3_reduce', x, m.reduceD, 1);
  d = cbr(ctx, s, 'double3x3a', d, m.convD, 3);
  branches.push(cbr(ctx, s, 'double3x3b', d, m.convD, 3, stride));
  if (reduction) {
    branches.push(ctx.n.pool(`${s}/pool/3x3_s2`, x, { pool: 'MAX', kernel_size: 3, stride: 2 }));
  } else {
    const p = ctx.n.pool(`${s}/pool`, x, { pool: m.pool, kernel_size: 3, stride: 1, pad: 1 });
    branches.push(cbr(ctx, s, 'pool_proj', p, m.poolProj, 1));
  }
  const concat = ctx.n.concat(`${s}/concat`, branches);
  // A reduction module's pool branch passes its input channels through.
  const channels = (reduction ? inC : m.oneByOne + m.poolProj) + m.conv3 + m.convD;
  if (!ctx.opts.se) return [concat, channels];
  const gate = seGate(ctx, s, concat, channels);
  return [seScale(ctx, s, concat, gate, `${s}/output`), channels];
}

export function buildSeBnInception(opts: ArchOptions): NetBuilder {
  const ctx = new ArchContext(opts, 'SE-BN-Inception', { comments: ['mean_value: 104, 117, 123'] });
  let x = cbr(ctx, 'conv1', '7x7_s2', ctx.data(), 64, 7, 2, '7x7');
  x = ctx.n.pool('pool1/3x3_s2', x, { pool: 'MAX', kernel_size: 3, stride: 2 });
  x = cbr(ctx, 'conv2', '3x3_reduce', x, 64, 1);
  x = cbr(ctx, 'conv2', '3x3', x, 192, 3);
  x = ctx.n.pool('pool2/3x3_s2', x, { pool: 'MAX', kernel_size: 3, stride: 2 });
  let channels = 192;
  for (const m of MODULES) [x, channels] = inceptionModule(ctx, m, x, channels);
  x = ctx.finalPool('pool5/7x7_s1', x, 7);
  ctx.head(x, 'classifier');
  return ctx.n;
}
