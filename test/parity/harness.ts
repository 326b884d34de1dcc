/**
 * Parity harness over the real-Caffe fixtures in test/fixtures/parity/<case>/ (how they were made:
 * SOURCE.md there). Tests never need Caffe.
 *
 * Use:
 *   import { PARITY_CASES, loadCase, compareAll } from '../parity/harness';
 *   for (const name of PARITY_CASES) {
 *     const c = loadCase(name);          // c.net (NetParameter), c.weights (LayerWeights[]),
 *                                        // c.input {blob, shape, data}, c.reference (Map name -> Tensor)
 *     const mine: Map<string, Float32Array> = run my graph on c.input.data, reading blobs by Caffe name;
 *     const r = compareAll(c, mine);     // every blob of the reference that `mine` has
 *     expect(r.failures).toEqual([]);
 *   }
 *
 * The comparison itself is src/verify/compare.ts, the one `senet parity` runs (its comment and
 * docs/parity.md give the rules and why): probabilities (a Softmax's output) within 1e-5
 * absolute and, for the net's final ones, the same top-5 (ties within 1e-5 may swap); logits (an
 * InnerProduct read by a Softmax) within 1e-4 of their largest magnitude; every other blob within
 * 1e-6 + 1e-4 of its largest magnitude. The harness only loads the cases and hands over the
 * net's layers, so that each blob's rule comes from the net, not from guessing at its values.
 * `c.reference` holds Caffe's value of each blob after the LAST layer writing it (in-place
 * BatchNorm/Scale/ReLU chains show the post-ReLU value), plus Caffe's automatic `*_split_N` blobs
 * (`c.manifest.blobs[i].splitOf` names the source). `c.finalProbs` lists the Softmax outputs that
 * no layer consumes.
 *
 * Conditioning: the reduced nets are calibrated on a batch of other images (SOURCE.md). SENet-154
 * has plain calibrated weights: over its 50 random residual blocks float32 rounding (Caffe's and
 * ours alike) grows past the strict tolerances on some blobs, so its comparisons take the float64
 * truth (`truthOf`, the project's reference in float64) and the float32-noise rule of
 * src/verify/compare.ts: a blob out of tolerance passes only when the model is no further from the
 * truth than 2x Caffe is.
 *
 * Weights: every case ships `weights.caffemodel` (sha256 in the manifest). A case without one would
 * be regenerated with randomWeights (calibrated on input.npy or not) and checked against the sha256,
 * so any change to the generator fails loudly instead of silently comparing against other weights.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readCaffemodel, writeCaffemodel } from '../../src/caffemodel';
import { FLOAT64, randomWeights, referenceForward } from '../../src/reference';
import type { Tensor } from '../../src/reference';
import type { LayerWeights } from '../../src/caffemodel/types';
import { readNpy, readNpz, toFloat32 } from '../../src/runtime/npy';
import type { ConvolutionParameter, LayerParameter, NetParameter, PoolingParameter } from '../../src/schema';
import { readNetText } from '../../src/upgrade';
import {
  blobInfoFromLayers, compareBlobs, DEFAULT_ATOL, DEFAULT_RTOL, type BlobArray, type BlobResult, type CompareOptions, type ModelBlobInfo, type ParityReport, type TruthArray,
} from '../../src/verify/compare';

export const PARITY_DIR = path.resolve(__dirname, '..', 'fixtures', 'parity');

/** The engine's defaults (src/verify/compare.ts), under the names the tests use. */
export const PROB_ABS_TOL = DEFAULT_ATOL;
export const REL_TOL = DEFAULT_RTOL;

export interface ManifestBlob {
  name: string;
  /** Key in blobs.npz ('/' -> '__'); absent from the archive for exact split copies. */
  key: string;
  shape: number[];
  /** Type of the last layer writing the blob (absent for Caffe's split blobs). */
  producer?: string;
  splitOf?: string;
  splitEqualsSource?: boolean;
}

export interface Manifest {
  case: string;
  about: string;
  source?: { official: string; factor: number; classes: number; size: number };
  input: { blob: string; shape: number[]; file: string };
  weights: {
    seed: number;
    /** 'input': BatchNorm statistics calibrated on input.npy; 'batch': on `calibration` (weights committed). */
    calibrate: 'input' | 'batch' | false;
    calibration?: { images: number; stream: string; noise: number; seed: number };
    /** randomWeights' residualGamma: gamma range of the Scale layers ending a residual branch. */
    residualGamma?: [number, number];
    postProcessed: boolean;
    file: string | null;
    bytes: number;
    sha256: string;
  };
  caffe: Record<string, string | number>;
  blobs: ManifestBlob[];
}

export interface ParityCase {
  name: string;
  dir: string;
  manifest: Manifest;
  net: NetParameter;
  weights: LayerWeights[];
  /** The caffemodel bytes the reference was computed with (read or regenerated). */
  weightsBytes: Buffer;
  input: { blob: string; shape: number[]; data: Float32Array };
  /** Caffe's blobs by Caffe name (split copies filled in from their source). */
  reference: Map<string, Tensor>;
  /** Softmax outputs that no layer consumes: the net's probabilities. */
  finalProbs: string[];
}

/** Every case directory, sorted. */
export const PARITY_CASES: string[] = fs.existsSync(PARITY_DIR)
  ? fs
      .readdirSync(PARITY_DIR)
      .filter((d) => fs.existsSync(path.join(PARITY_DIR, d, 'case.json')))
      .sort()
  : [];

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

export function readManifest(name: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(PARITY_DIR, name, 'case.json'), 'utf8')) as Manifest;
}

/** The caffemodel bytes for a regenerated case, made exactly as tools/make-parity-fixtures.js does. */
export function regenerateWeights(net: NetParameter, manifest: Manifest, input: Float32Array): { weights: LayerWeights[]; bytes: Buffer } {
  const weights = randomWeights(net, { seed: manifest.weights.seed, calibrate: manifest.weights.calibrate === 'input' ? { input } : false });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-w-'));
  try {
    const file = path.join(tmp, 'w.caffemodel');
    writeCaffemodel(file, net, weights);
    return { weights, bytes: fs.readFileSync(file) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const cache = new Map<string, ParityCase>();

/** Loads (and caches) one case. Throws if regenerated weights do not match the recorded sha256. */
export function loadCase(name: string): ParityCase {
  const hit = cache.get(name);
  if (hit) return hit;
  const dir = path.join(PARITY_DIR, name);
  const manifest = readManifest(name);
  const net = readNetText(path.join(dir, 'net.prototxt'));
  const npy = readNpy(path.join(dir, manifest.input.file));
  const input = { blob: manifest.input.blob, shape: npy.shape.slice(), data: toFloat32(npy) };
  let weights: LayerWeights[];
  let weightsBytes: Buffer;
  if (manifest.weights.file !== null) {
    weightsBytes = fs.readFileSync(path.join(dir, manifest.weights.file));
    weights = readCaffemodel(weightsBytes).layers.filter((l) => l.blobs.length > 0);
  } else {
    ({ weights, bytes: weightsBytes } = regenerateWeights(net, manifest, input.data));
  }
  const got = sha256(weightsBytes);
  if (got !== manifest.weights.sha256) {
    throw new Error(
      `parity case '${name}': weights sha256 ${got} differs from the recorded ${manifest.weights.sha256}; ` +
        'the random-weight generator (or the caffemodel writer) changed: remake the fixtures with tools/make-parity-fixtures.js',
    );
  }
  const npz = readNpz(path.join(dir, 'blobs.npz'));
  const reference = new Map<string, Tensor>();
  for (const b of manifest.blobs) {
    const arr = npz[b.key];
    if (arr !== undefined) reference.set(b.name, { shape: b.shape.slice(), data: toFloat32(arr) });
  }
  for (const b of manifest.blobs) {
    if (reference.has(b.name) || b.splitOf === undefined || !b.splitEqualsSource) continue;
    const src = reference.get(b.splitOf);
    if (src) reference.set(b.name, { shape: b.shape.slice(), data: src.data });
  }
  const consumed = new Set((net.layer ?? []).flatMap((l) => (l.bottom ?? []).filter((x) => !(l.top ?? []).includes(x))));
  const finalProbs = manifest.blobs.filter((b) => b.producer === 'Softmax' && !consumed.has(b.name)).map((b) => b.name);
  const c: ParityCase = { name, dir, manifest, net, weights, weightsBytes, input, reference, finalProbs };
  cache.set(name, c);
  return c;
}

/**
 * The blobs of a case in net order with their layers (src/verify/compare.ts decides each blob's
 * pass rule from them), split copies left out: they are copies, not tensors of a converted model.
 */
export function caseBlobs(c: ParityCase): ModelBlobInfo[] {
  const layers = (c.net.layer ?? []).map((l) => ({ name: l.name ?? '', type: l.type ?? '', bottoms: l.bottom ?? [], tops: l.top ?? [] }));
  return blobInfoFromLayers(layers);
}

export interface CaseReport {
  /** The engine's report (src/verify/compare.ts). */
  report: ParityReport;
  /** Compared blobs (verdict pass or fail), in net order. */
  compared: BlobResult[];
  /** One line per failing blob. */
  failures: string[];
  /** Reference blobs `mine` did not have (split copies excluded). */
  missing: string[];
}

/** Cases whose comparisons take the float64 truth (see the module comment). */
export const TRUTH_CASES: ReadonlySet<string> = new Set(['senet_154']);

const truthCache = new Map<string, Map<string, TruthArray>>();

/** The float64 truth of a case: every blob of the project's reference forward pass in float64. */
export function truthOf(c: ParityCase): Map<string, TruthArray> {
  const hit = truthCache.get(c.name);
  if (hit) return hit;
  const out = referenceForward(c.net, {
    inputs: { [c.input.blob]: { shape: c.input.shape, data: c.input.data } },
    weights: new Map(c.weights.map((w) => [w.name, w.blobs])),
    numeric: FLOAT64,
  });
  truthCache.set(c.name, out);
  return out;
}

/**
 * Compares every blob `mine` provides against Caffe's with src/verify/compare.ts (the same
 * comparison `senet parity` makes): default tolerances unless `opts` says otherwise; with `truth`
 * (float64 values by blob name) the float32-noise rule as `senet parity --truth`.
 */
export function compareAll(c: ParityCase, mine: ReadonlyMap<string, Float32Array>, opts: CompareOptions = {}, truth?: ReadonlyMap<string, TruthArray>): CaseReport {
  const order = caseBlobs(c);
  const reference = new Map<string, BlobArray>();
  const missing: string[] = [];
  const got = new Map<string, BlobArray>();
  for (const b of c.manifest.blobs) {
    if (b.splitOf !== undefined) continue;
    const ref = c.reference.get(b.name);
    if (ref === undefined) continue;
    reference.set(b.name, ref);
    const m = mine.get(b.name);
    // The flat data of our blob, in Caffe's shape: layout and shape are the runner's business.
    if (m === undefined) missing.push(b.name);
    else got.set(b.name, { data: m, shape: m.length === ref.data.length ? ref.shape : [m.length] });
  }
  const report = compareBlobs(order, reference, got, opts, truth);
  const compared = report.results.filter((r) => r.verdict !== 'skipped');
  const failures = compared
    .filter((r) => r.verdict !== 'pass')
    .map((r) => `${c.name}/${r.blob}: ${r.kind} max abs error ${r.maxAbsError.toExponential(3)} > bound ${r.bound.toExponential(3)}` +
      ` (max rel ${r.maxRelError.toExponential(3)})${r.note ? ` (${r.note})` : ''}`);
  missing.push(...report.onlyInReference.filter((n) => !missing.includes(n)));
  return { report, compared, failures, missing };
}

/** One thing a parity case exists to show: a layer of `type` (with `where`, when given). */
export interface CaseShows {
  what: string;
  type: string;
  where?: (l: LayerParameter) => boolean;
}

const inPlace = (l: LayerParameter): boolean => (l.bottom ?? []).length === 1 && l.bottom?.[0] === l.top?.[0];
const conv = (l: LayerParameter): ConvolutionParameter => l.convolution_param ?? {};
const pool = (l: LayerParameter): PoolingParameter => l.pooling_param ?? {};
/** An official net's signature: Axpy (SE-ResNet, SE-ResNeXt, SENet-154) or a two-bottom Scale (SE-BN-Inception) after a sigmoid gate. */
const reducedNet = (gate: CaseShows, extra: CaseShows[] = []): CaseShows[] => [
  { what: 'BatchNorm folded into convolutions', type: 'BatchNorm', where: inPlace },
  { what: 'SE squeeze: global average pooling', type: 'Pooling', where: (l) => pool(l).global_pooling === true || pool(l).kernel_size !== undefined },
  { what: 'SE gate', type: 'Sigmoid' },
  gate,
  { what: 'classifier probabilities', type: 'Softmax' },
  ...extra,
];

/**
 * What each parity case is for (its case.json `about`), as layers its net must contain: a case that
 * lost what it shows fails its fixture test, and a new case must say what it shows.
 */
export const CASE_SHOWS: Readonly<Record<string, readonly CaseShows[]>> = {
  activations: [
    { what: 'leaky ReLU', type: 'ReLU', where: (l) => (l.relu_param?.negative_slope ?? 0) !== 0 },
    { what: 'in-place ReLU', type: 'ReLU', where: inPlace },
    { what: 'per-channel PReLU', type: 'PReLU', where: (l) => l.prelu_param?.channel_shared !== true },
    { what: 'channel-shared PReLU', type: 'PReLU', where: (l) => l.prelu_param?.channel_shared === true },
    { what: 'ELU', type: 'ELU' },
    { what: 'Sigmoid', type: 'Sigmoid' },
    { what: 'TanH', type: 'TanH' },
    { what: 'Power', type: 'Power' },
    { what: 'AbsVal', type: 'AbsVal' },
    { what: 'Dropout (identity at test time)', type: 'Dropout' },
  ],
  axpy: [{ what: 'Axpy in an SE block', type: 'Axpy' }],
  batchnorm: [
    { what: 'in-place BatchNorm + Scale (folded)', type: 'BatchNorm', where: inPlace },
    { what: 'BatchNorm not in place', type: 'BatchNorm', where: (l) => !inPlace(l) },
    { what: 'BatchNorm eps', type: 'BatchNorm', where: (l) => l.batch_norm_param?.eps !== undefined },
    { what: 'Scale with bias', type: 'Scale', where: (l) => l.scale_param?.bias_term === true },
    { what: 'Scale without bias', type: 'Scale', where: (l) => l.scale_param?.bias_term !== true },
  ],
  concat_slice: [
    { what: 'Concat on channels', type: 'Concat', where: (l) => (l.concat_param?.axis ?? 1) === 1 },
    { what: 'Concat on height', type: 'Concat', where: (l) => l.concat_param?.axis === 2 },
    { what: 'Slice with slice_point', type: 'Slice', where: (l) => (l.slice_param?.slice_point ?? []).length > 0 },
    { what: 'Slice in even parts', type: 'Slice', where: (l) => (l.slice_param?.slice_point ?? []).length === 0 },
    { what: 'explicit Split', type: 'Split' },
  ],
  conv: [
    { what: 'pad + stride', type: 'Convolution', where: (l) => (conv(l).pad ?? []).some((p) => p > 0) && (conv(l).stride ?? []).some((s) => s > 1) },
    { what: 'dilation without bias', type: 'Convolution', where: (l) => (conv(l).dilation ?? []).some((d) => d > 1) && conv(l).bias_term === false },
    { what: 'rectangular kernel, pad and stride', type: 'Convolution', where: (l) => conv(l).kernel_h !== conv(l).kernel_w && conv(l).pad_h !== conv(l).pad_w && conv(l).stride_h !== conv(l).stride_w },
  ],
  conv_group: [
    { what: 'group 2', type: 'Convolution', where: (l) => conv(l).group === 2 },
    { what: 'depthwise', type: 'Convolution', where: (l) => conv(l).group === conv(l).num_output },
    { what: 'depthwise with multiplier 2', type: 'Convolution', where: (l) => (conv(l).group ?? 1) > 1 && conv(l).num_output === 2 * (conv(l).group ?? 1) },
  ],
  eltwise: [
    { what: 'SUM of 3 bottoms', type: 'Eltwise', where: (l) => (l.bottom ?? []).length === 3 && (l.eltwise_param?.operation ?? 'SUM') === 'SUM' },
    { what: 'SUM with coeff', type: 'Eltwise', where: (l) => (l.eltwise_param?.coeff ?? []).length > 0 },
    { what: 'PROD', type: 'Eltwise', where: (l) => l.eltwise_param?.operation === 'PROD' },
    { what: 'MAX', type: 'Eltwise', where: (l) => l.eltwise_param?.operation === 'MAX' },
  ],
  inner_product: [
    { what: 'InnerProduct without bias', type: 'InnerProduct', where: (l) => l.inner_product_param?.bias_term === false },
    { what: 'InnerProduct with transposed weights', type: 'InnerProduct', where: (l) => l.inner_product_param?.transpose === true },
    { what: 'Softmax on 2-D', type: 'Softmax' },
  ],
  lrn: [
    { what: 'LRN across channels, local_size 5, k 2', type: 'LRN', where: (l) => l.lrn_param?.local_size === 5 && l.lrn_param?.k === 2 },
    { what: 'LRN across channels, local_size 3', type: 'LRN', where: (l) => l.lrn_param?.local_size === 3 },
  ],
  lrn_within: [{ what: 'LRN WITHIN_CHANNEL', type: 'LRN', where: (l) => l.lrn_param?.norm_region === 'WITHIN_CHANNEL' }],
  pooling: [
    { what: 'MAX with padding', type: 'Pooling', where: (l) => pool(l).pool === 'MAX' && (pool(l).pad ?? 0) > 0 },
    { what: 'AVE counting padding', type: 'Pooling', where: (l) => pool(l).pool === 'AVE' && (pool(l).pad ?? 0) > 0 },
    { what: 'rectangular', type: 'Pooling', where: (l) => pool(l).kernel_h !== undefined && pool(l).kernel_h !== pool(l).kernel_w },
    { what: 'global AVE', type: 'Pooling', where: (l) => pool(l).global_pooling === true && pool(l).pool === 'AVE' },
    { what: 'global MAX', type: 'Pooling', where: (l) => pool(l).global_pooling === true && pool(l).pool === 'MAX' },
  ],
  reshape_flatten: [
    { what: 'Reshape with 0 / -1', type: 'Reshape', where: (l) => (l.reshape_param?.shape?.dim ?? []).some((d) => d <= 0) },
    { what: 'Reshape with num_axes', type: 'Reshape', where: (l) => l.reshape_param?.num_axes !== undefined },
    { what: 'Flatten from axis 2', type: 'Flatten', where: (l) => l.flatten_param?.axis === 2 },
  ],
  scale_bias: [
    { what: 'Scale with a second bottom at axis 0', type: 'Scale', where: (l) => (l.bottom ?? []).length === 2 && l.scale_param?.axis === 0 },
    { what: 'Bias with a second bottom at axis 0', type: 'Bias', where: (l) => (l.bottom ?? []).length === 2 && l.bias_param?.axis === 0 },
    { what: 'scalar Scale', type: 'Scale', where: (l) => l.scale_param?.num_axes === 0 },
    { what: 'Scale over H, W', type: 'Scale', where: (l) => l.scale_param?.axis === 2 && l.scale_param?.num_axes === 2 },
  ],
  softmax: [
    { what: 'Softmax over channels of a 4-D blob', type: 'Softmax', where: (l) => l.softmax_param?.axis === undefined },
    { what: 'Softmax over the last axis', type: 'Softmax', where: (l) => l.softmax_param?.axis === 3 },
  ],
  se_bn_inception: reducedNet({ what: 'SE rescale as a two-bottom Scale', type: 'Scale', where: (l) => (l.bottom ?? []).length === 2 }, [
    { what: 'concatenated inception branches', type: 'Concat' },
  ]),
  se_resnet_50: reducedNet({ what: 'SE rescale + residual as Axpy', type: 'Axpy' }),
  se_resnext_50: reducedNet({ what: 'SE rescale + residual as Axpy', type: 'Axpy' }, [
    { what: 'grouped 3x3 convolutions', type: 'Convolution', where: (l) => (conv(l).group ?? 1) > 1 },
  ]),
  senet_154: reducedNet({ what: 'SE rescale + residual as Axpy', type: 'Axpy' }, [
    { what: 'grouped 3x3 convolutions', type: 'Convolution', where: (l) => (conv(l).group ?? 1) > 1 },
  ]),
};

/** The things of CASE_SHOWS[name] that its net lacks (empty when it shows all). */
export function missingShows(name: string, net: NetParameter): string[] {
  const shows = CASE_SHOWS[name];
  if (shows === undefined) return [`case '${name}' is not in CASE_SHOWS: say what it shows`];
  const layers = net.layer ?? [];
  return shows.filter((s) => !layers.some((l) => l.type === s.type && (s.where?.(l) ?? true))).map((s) => `${name}: no ${s.type} for '${s.what}'`);
}
