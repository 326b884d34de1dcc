/**
 * Every op and attribute the converter emits, over every net the project has (parity and geometry
 * fixtures, the official prototxts, every generated architecture in both flavours and phases, the
 * real models in ../shared), checked against the op tables of the installed
 * @tensorflow/tfjs-converter: a misspelt op or attribute name, a value of the wrong kind, or an
 * attribute tfjs ignores set to something it does not assume, fails here, naming the node.
 */
import * as fs from 'fs';
import * as path from 'path';
import { archs, resolveOptions, type Flavor, type Phase } from '../../src/archs';
import { readCaffemodel, type BlobRef, type CaffemodelIndex, type PayloadReader } from '../../src/caffemodel';
import { convertNet, type ConvertNetOptions } from '../../src/convert';
import { inferShapes } from '../../src/layers';
import type { NetParameter } from '../../src/schema';
import type { NodeDefJson } from '../../src/tfgraph/attrs';
import { parseNetText, readNetText } from '../../src/upgrade';
import { describeShared, sharedPath } from '../helpers/shared';
import { checkNode, loadOpList, OP_LIST_DIR, type OpDef } from '../helpers/tfjs-op-list';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');

let ops: Map<string, OpDef>;
beforeAll(() => {
  ops = loadOpList();
});

/** Ops seen over the whole file, for the coverage check at the end. */
const seen = new Map<string, number>();

/** Converts and returns every problem of every node (empty when all are fine). */
function problemsOf(opts: ConvertNetOptions, nodes: NodeDefJson[] = []): string[] {
  const { graph } = convertNet({ phase: 'TEST', ...opts });
  const problems: string[] = [];
  for (const node of graph.nodeDefs) {
    seen.set(node.op, (seen.get(node.op) ?? 0) + 1);
    nodes.push(node);
    problems.push(...checkNode(node, ops));
  }
  return problems;
}

/**
 * Weights of the right shapes for every learned blob, served the way an indexed caffemodel file
 * serves them: values in [0.5, 1.5) (positive, so BatchNorm variances are valid) read on demand
 * from one shared buffer. The graph depends on the shapes, not the values, and the big transforms
 * then wait for a write that never comes, so SENet-154 costs neither 440 MB nor their time.
 */
function syntheticWeights(net: NetParameter): ConvertNetOptions['weights'] {
  const layers = inferShapes(net).layers.filter((l) => l.blobShapes.length > 0);
  const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
  // 64 Ki values, tiled for a longer blob: only small blobs (biases, BatchNorm) are read here.
  const pool = new Float32Array(1 << 16);
  let s = 12345;
  for (let i = 0; i < pool.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    pool[i] = 0.5 + s / 4294967296;
  }
  const fill = (target: Float32Array): Float32Array => {
    for (let i = 0; i < target.length; i += pool.length) target.set(pool.subarray(0, Math.min(pool.length, target.length - i)), i);
    return target;
  };
  const index: CaffemodelIndex = {
    format: 'V2',
    net: { name: net.name },
    file: '(synthetic)',
    size: 0,
    layers: layers.map((l) => ({
      name: l.name,
      type: l.type,
      blobs: l.blobShapes.map((shape) => ({ shape, legacy: false, count: count(shape), kind: 'f32' as const, chunks: [] })),
    })),
  };
  const reader: Pick<PayloadReader, 'readInto' | 'readShared' | 'readNew' | 'close'> = {
    readInto: (ref: BlobRef, target: Float32Array) => void fill(target.subarray(0, ref.count)),
    readShared: (ref: BlobRef) => fill(new Float32Array(ref.count)),
    readNew: (ref: BlobRef) => fill(new Float32Array(ref.count)),
    close: () => undefined,
  };
  return { index, payloads: reader as PayloadReader };
}

test('the op lists load from the installed tfjs-converter', () => {
  expect(fs.existsSync(OP_LIST_DIR)).toBe(true);
  // The ops every conversion needs, with the attribute names the check relies on.
  for (const op of ['Placeholder', 'Const', '_FusedConv2D', 'MaxPool', 'AvgPool', 'Reshape']) expect(ops.has(op)).toBe(true);
  expect(ops.get('_FusedConv2D')!.attrs!.map((a) => a.tfName)).toEqual(expect.arrayContaining(['strides', 'padding', 'explicit_paddings', 'fused_ops', 'num_args']));
});

describe('the checker fails what it should', () => {
  const conv = {
    name: 'c',
    op: 'Conv2D',
    input: ['x', 'w'],
    attr: {
      T: { type: 'DT_FLOAT' as const },
      strides: { list: { i: ['1', '1', '1', '1'] } },
      padding: { s: Buffer.from('VALID').toString('base64') },
      dilations: { list: { i: ['1', '1', '1', '1'] } },
      data_format: { s: Buffer.from('NHWC').toString('base64') },
    },
  };
  test('a well-formed node passes', () => {
    expect(checkNode(conv, ops)).toEqual([]);
  });
  test.each([
    ['an unknown op', { ...conv, op: 'Conv2d' }, /op 'Conv2d' is not in tfjs-converter's op lists/],
    ['a misspelt attribute', { ...conv, attr: { ...conv.attr, stride: conv.attr.strides } }, /attribute 'stride' is not in the op list/],
    ['a missing required attribute', { ...conv, attr: { ...conv.attr, strides: undefined as never } }, /attribute 'strides' has no default and is missing/],
    ['a value of the wrong kind', { ...conv, attr: { ...conv.attr, padding: { i: '1' } } }, /attribute 'padding' should be a string/],
    ['a type attribute on the wrong op', { ...conv, attr: { ...conv.attr, Tidx: { type: 'DT_INT32' as const } } }, /attribute 'Tidx' is not in the op list/],
    ['too few inputs', { ...conv, input: ['x'] }, /1 inputs, the op list reads 2/],
    ['an ignored attribute set to what tfjs does not assume', { ...conv, op: 'MaxPool', input: ['x'], attr: { ...conv.attr, dilations: undefined as never, ksize: conv.attr.strides, explicit_paddings: { list: { i: ['0', '0', '1', '1', '1', '1', '0', '0'] } } } }, /'explicit_paddings' = .* is ignored by tfjs/],
  ])('%s', (_what, node, message) => {
    const clean = { ...node, attr: Object.fromEntries(Object.entries(node.attr).filter(([, v]) => v !== undefined)) };
    expect(checkNode(clean, ops).join('\n')).toMatch(message);
  });
});

describe('parity fixtures (real Caffe)', () => {
  const dir = path.join(FIXTURES, 'parity');
  const cases = fs.readdirSync(dir).filter((c) => fs.existsSync(path.join(dir, c, 'weights.caffemodel')));
  test('all are here', () => {
    expect(cases.length).toBeGreaterThan(0);
  });
  test.each(cases)('%s', (c) => {
    const net = readNetText(path.join(dir, c, 'net.prototxt'));
    expect(problemsOf({ net, weights: readCaffemodel(path.join(dir, c, 'weights.caffemodel')) })).toEqual([]);
  });
});

describe('geometry fixtures (real Caffe)', () => {
  const dir = path.join(FIXTURES, 'geometry');
  const cases = fs.existsSync(dir) ? fs.readdirSync(dir).filter((c) => fs.existsSync(path.join(dir, c, 'net.prototxt'))) : [];
  test.each(cases)('%s', (c) => {
    const net = readNetText(path.join(dir, c, 'net.prototxt'));
    expect(problemsOf({ net, weights: readCaffemodel(path.join(dir, c, 'weights.caffemodel')) })).toEqual([]);
  });
});

describe('official SENet prototxts (test/fixtures/layers), random weights', () => {
  const dir = path.join(FIXTURES, 'layers', 'senet-official');
  test.each(fs.readdirSync(dir).filter((f) => f.endsWith('.prototxt')))('%s', (f) => {
    const net = readNetText(path.join(dir, f));
    expect(problemsOf({ net, weights: syntheticWeights(net) })).toEqual([]);
  });
});

describe('generated architectures, random weights', () => {
  const train = { trainSource: 'train.txt', testSource: 'test.txt', backend: 'imagedata' as const, testBatch: 2, mirror: false, meanValues: [104, 117, 123] };
  type Variant = [string, { se: boolean; flavor: Flavor; phase: Phase }];
  const variants: Variant[] = [];
  for (const a of archs) {
    const se = a.defaults.se;
    // Its default form, in both flavours when it has SE blocks (the flavour changes only those).
    variants.push([a.id, { se, flavor: 'official', phase: 'deploy' }]);
    if (se) variants.push([a.id, { se, flavor: 'bvlc', phase: 'deploy' }]);
    // The toolkit families with SE blocks added, in both flavours.
    if (!se) for (const flavor of ['official', 'bvlc'] as const) variants.push([a.id, { se: true, flavor, phase: 'deploy' }]);
    // The train/test file in its TEST phase (data layers become the input). DenseNet's keeps
    // batch statistics in TEST (use_global_stats: false), which the converter refuses.
    if (a.id !== 'densenet-121') variants.push([a.id, { se, flavor: 'official', phase: 'train' }]);
  }
  test.each(variants.map(([id, v]) => [`${id} ${v.se ? 'SE' : 'no SE'} ${v.flavor} ${v.phase}`, id, v] as const))('%s', (_title, id, v) => {
    const entry = archs.find((a) => a.id === id)!;
    const opts = resolveOptions(entry, { ...v, ...(v.phase === 'train' ? { train } : {}) });
    const net = entry.build(opts).build();
    // A train/test net has the deploy net's learned layers; its data layers need the input shape.
    const deploy = v.phase === 'train' ? entry.build({ ...opts, phase: 'deploy', train: undefined }).build() : net;
    const inputShape = v.phase === 'train' ? [1, 3, opts.inputSize, opts.inputSize] : undefined;
    expect(problemsOf({ net, weights: syntheticWeights(deploy), inputShape })).toEqual([]);
  });
});

describeShared('real models (../shared/reference/models)', () => {
  const models: [string, string, string, number[] | undefined][] = [
    ['LeNet (V2)', 'mnist-lenet-v2-ethereon/lenet.prototxt', 'mnist-lenet-v2-ethereon/lenet_iter_10000.caffemodel', undefined],
    ['CIFAR-10 quick (V1)', 'cifar10-quick-full-everpeace/cifar10_quick.prototxt', 'cifar10-quick-full-everpeace/cifar10_quick_iter_5000.caffemodel', undefined],
    ['CIFAR-10 full (V1)', 'cifar10-quick-full-everpeace/cifar10_full.prototxt', 'cifar10-quick-full-everpeace/cifar10_full_iter_70000.caffemodel', undefined],
    ['ResNet-20', 'cifar10-resnet20-ljf/test_ResNet_20.prototxt', 'cifar10-resnet20-ljf/cifar10_ResNet_20_iter_53500.caffemodel', [1, 3, 32, 32]],
    ['MobileNet (grouped)', 'cifar10-mobilenet-grouped-ljf/deploy.prototxt', 'cifar10-mobilenet-grouped-ljf/caffe_ljftest_train_iter_100000.caffemodel', undefined],
  ];
  test.each(models)('%s', (_name, proto, model, inputShape) => {
    const net = readNetText(sharedPath('reference/models', proto));
    expect(problemsOf({ net, weights: readCaffemodel(sharedPath('reference/models', model)), inputShape })).toEqual([]);
  });
});

describe('converter paths no fixture reaches', () => {
  // Activations fused with their slope, one that cannot be fused, ELU with alpha 1, an identity Power.
  const text = `name: "paths"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 dim: 6 dim: 6 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
layer { name: "conv_leaky" type: "ReLU" bottom: "conv" top: "conv" relu_param { negative_slope: 0.1 } }
layer { name: "dw" type: "Convolution" bottom: "data" top: "dw" convolution_param { num_output: 4 kernel_size: 3 group: 4 } }
layer { name: "dw_leaky" type: "ReLU" bottom: "dw" top: "dw" relu_param { negative_slope: 0.2 } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 5 } }
layer { name: "ip_leaky" type: "ReLU" bottom: "ip" top: "ip" relu_param { negative_slope: 0.1 } }
layer { name: "elu" type: "ELU" bottom: "data" top: "elu" }
layer { name: "power_id" type: "Power" bottom: "data" top: "power_id" }
`;
  test('fused LeakyRelu, LeakyRelu after a depthwise convolution, Elu, Identity', () => {
    const net = parseNetText(text, 'paths.prototxt');
    const nodes: NodeDefJson[] = [];
    expect(problemsOf({ net, weights: syntheticWeights(net) }, nodes)).toEqual([]);
    const fusedLeaky = nodes.filter((n) => n.attr?.leakyrelu_alpha !== undefined).map((n) => n.op);
    expect(fusedLeaky.sort()).toEqual(['_FusedConv2D', '_FusedMatMul']);
    expect(nodes.map((n) => n.op)).toEqual(expect.arrayContaining(['LeakyRelu', 'Elu', 'Identity']));
  });
});

test('every op the graph builder can emit was emitted above (the builder holds no unused op)', () => {
  // The op names the builder's source spells out (string literals that are tfjs ops).
  const source = fs.readFileSync(path.resolve(__dirname, '..', '..', 'src', 'tfgraph', 'graph-builder.ts'), 'utf8');
  const literals = new Set([...source.matchAll(/'([A-Za-z_][A-Za-z0-9_]*)'/g)].map((m) => m[1]));
  const builderOps = [...literals].filter((l) => ops.has(l)).sort();
  expect(builderOps).toEqual(expect.arrayContaining(['Placeholder', 'Const', '_FusedConv2D', 'MaxPool', 'AvgPool', 'Reshape']));
  // BiasAdd is also named in fused_ops; it is emitted on its own too.
  expect(builderOps.filter((op) => !seen.has(op))).toEqual([]);
});

afterAll(() => {
  // eslint-disable-next-line no-console
  console.log(`emitted ops: ${[...seen].sort((a, b) => a[0].localeCompare(b[0])).map(([op, n]) => `${op} ${n}`).join(', ')}`);
});
