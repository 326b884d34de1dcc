/**
 * Classification accuracy (top-1 / top-5) of a converted model over labelled images, with the
 * Caffe-era single-crop protocol (see preprocess.ts).
 *
 * Throughput: inference runs in the runtime's worker pool (one backend per worker). Decoding is
 * sharp's, which runs on libuv's thread pool off the main thread; our resize/crop computes only
 * the cropped window (~1 ms for 224x224), so the main thread keeps every worker fed: up to two
 * batches per worker are prepared or in flight at once.
 */
import { createHash } from 'crypto';
import * as os from 'os';
import * as fs from 'fs';
import * as path from 'path';
import { InputFileError, SenetError, UsageError } from '../errors';
import { INPUT_LIMITS, readInputFile } from '../input-file';
import { checkModelFolder, createPool, isOnnxModelPath, readOnnxModelMetadata, type BackendName, type EngineLabel, type HostArray } from '../runtime';
import { asModelMetadata, type ModelMetadata } from '../model-metadata';
import { indexMap, readLabelList, type LabelOrder } from './labels';
import { preprocessImage, preprocessingFor, type PreprocessFlags, type PreprocessOptions } from './preprocess';
import { publishedFor, type PublishedAccuracy } from './published';
import { shardRange } from './shard';

export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif']);

/** Reads the senet-caffe metadata of a model folder or .onnx file without loading the graph. */
export function readModelMetadata(dir: string): ModelMetadata {
  if (isOnnxModelPath(dir)) {
    const md = readOnnxModelMetadata(dir);
    if (md === undefined) throw new InputFileError(dir, 'no senet-caffe metadata (convert the model with senet convert)');
    return md;
  }
  checkModelFolder(dir);
  const file = path.join(dir, 'model.json');
  const text = readInputFile(file, INPUT_LIMITS.text, 'a model.json').toString('utf8');
  let json: { userDefinedMetadata?: unknown };
  try {
    json = JSON.parse(text) as { userDefinedMetadata?: unknown };
  } catch (e) {
    throw new InputFileError(file, `not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  const md = asModelMetadata(json.userDefinedMetadata);
  if (md === undefined) throw new InputFileError(file, 'no senet-caffe metadata (convert the model with senet convert)');
  return md;
}

/** The class order a model outputs: its metadata's `extra.labelOrder`, else Caffe's standard order. */
export function modelLabelOrder(md: ModelMetadata): LabelOrder {
  return md.extra?.labelOrder ?? 'standard';
}

/** Image files under a folder (recursive, sorted, '/'-separated relative paths) or listed in a text file. */
export function listImages(images: string): { root: string; files: string[] } {
  let st: fs.Stats;
  try {
    st = fs.statSync(images);
  } catch {
    throw new InputFileError(images, 'no such image folder or list');
  }
  if (st.isDirectory()) {
    const files: string[] = [];
    const walk = (rel: string): void => {
      for (const e of fs.readdirSync(path.join(images, rel), { withFileTypes: true })) {
        const r = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) walk(r);
        else if (IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) files.push(r);
      }
    };
    walk('');
    files.sort();
    if (files.length === 0) throw new InputFileError(images, 'no image files in this folder');
    return { root: images, files };
  }
  // A list: one path per line (first field; relative to the list's folder).
  const files = fs.readFileSync(images, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(/\s+/)[0]);
  if (files.length === 0) throw new InputFileError(images, 'the list names no images');
  return { root: path.dirname(images), files };
}

export interface EvalProgress {
  done: number;
  total: number;
  top1: number;
  imagesPerSecond: number;
}

/** What to evaluate, and how; the preprocessing flags override the model's metadata. */
export interface EvalOptions extends PreprocessFlags {
  modelDir: string;
  images: string;
  labels: string;
  labelOrder?: LabelOrder;
  limit?: number;
  batch?: number;
  workers?: number;
  backend?: BackendName;
  /** ONNX Runtime intra-op threads (.onnx models). */
  threads?: number;
  /** Evaluate only shard `index` (1-based) of `count`: a fixed contiguous slice of the image list (see eval-shard.ts). */
  shard?: { index: number; count: number };
  onProgress?: (p: EvalProgress) => void;
}

export interface Prediction {
  file: string;
  /** In the labels file's order. */
  label: number;
  /** Top-5 classes, in the labels file's order. */
  top5: number[];
  top1Prob: number;
}

/** Where a part's slice sits, and what only parts of one run share (mergeEvalParts checks it). */
export interface EvalShard {
  index: number;
  count: number;
  firstImage: number;
  totalImages: number;
  /** sha256 of the whole image list (after --limit), names in order, and of the labels file's entries (sorted). */
  imagesSha256?: string;
  labelsSha256?: string;
  /** The model as its conversion recorded it (source prototxt, caffemodel, net name), input shape and outputs. */
  model?: { source: Record<string, unknown> | null; inputShape: number[]; outputs: string[] };
}

export interface EvalResult {
  images: number;
  evaluated: number;
  top1: number;
  top5: number;
  /** Fractions of the evaluated images. */
  top1Accuracy: number;
  top5Accuracy: number;
  failed: { file: string; error: string }[];
  /** Outputs of the model (classes); 0 when no image was evaluated. */
  classes: number;
  seconds: number;
  imagesPerSecond: number;
  workers: number;
  backends: EngineLabel[];
  /** Set when this is one shard of a sharded run (merge the parts with mergeEvalParts). */
  shard?: EvalShard;
  modelOrder: LabelOrder;
  labelOrder: LabelOrder;
  preprocessing: PreprocessOptions;
  published?: PublishedAccuracy;
  predictions: Prediction[];
}

/** Softmax of a row unless it already is a probability distribution. */
export function toProbabilities(row: Float32Array): Float32Array {
  let sum = 0;
  let inRange = true;
  for (const v of row) {
    sum += v;
    if (!(v >= 0 && v <= 1)) inRange = false;
  }
  if (inRange && Math.abs(sum - 1) < 1e-3) return row;
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  const out = new Float32Array(row.length);
  let s = 0;
  for (let i = 0; i < row.length; i++) s += out[i] = Math.exp(row[i] - max);
  for (let i = 0; i < row.length; i++) out[i] /= s;
  return out;
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topK(row: ArrayLike<number>, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    let j = idx.length;
    if (j === k && !(v > row[idx[k - 1]])) continue;
    while (j > 0 && v > row[idx[j - 1]]) j--;
    idx.splice(j, 0, i);
    if (idx.length > k) idx.pop();
  }
  return idx;
}

/** Pairs images with labels: exact relative path first, then the file name when unique in the labels file. */
export function matchLabels(files: readonly string[], labelsFile: string): number[] {
  const entries = readLabelList(labelsFile);
  const byPath = new Map<string, number>();
  const byBase = new Map<string, number | null>();
  for (const e of entries) {
    const p = e.name.replace(/\\/g, '/').replace(/^\.\//, '');
    byPath.set(p, e.label);
    const b = path.posix.basename(p);
    byBase.set(b, byBase.has(b) ? null : e.label);
  }
  const labels: number[] = [];
  const missing: string[] = [];
  for (const f of files) {
    const l = byPath.get(f) ?? byBase.get(path.posix.basename(f)) ?? undefined;
    if (l === undefined || l === null) missing.push(f);
    else labels.push(l);
  }
  if (missing.length > 0) {
    throw new UsageError(`${missing.length} image(s) have no entry in ${labelsFile}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  }
  return labels;
}

export async function evaluate(opts: EvalOptions): Promise<EvalResult> {
  const md = readModelMetadata(opts.modelDir);
  const pre = preprocessingFor(md.caffeInputShape, md.preprocessing, opts);
  const { root, files: listed } = listImages(opts.images);
  const all = opts.limit !== undefined ? listed.slice(0, opts.limit) : listed;
  const range = opts.shard !== undefined ? shardRange(all.length, opts.shard.index, opts.shard.count) : { start: 0, end: all.length };
  const files = all.slice(range.start, range.end);
  if (opts.shard !== undefined && opts.shard.count > all.length && all.length > 0) {
    // Refused in every slot alike (not only in those whose slice is empty): a mistake in the job.
    throw new UsageError(`--shard ${opts.shard.index}/${opts.shard.count}: ${all.length} images cut into ${opts.shard.count} slices leave some empty; use N <= ${all.length}`);
  }
  const labels = matchLabels(files, opts.labels);
  const modelOrder = modelLabelOrder(md);
  const labelOrder = opts.labelOrder ?? 'standard';
  const batch = opts.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch must be a positive integer, got ${batch}`);
  const [, c, h, w] = md.caffeInputShape;
  if (md.caffeInputShape[0] > 0 && md.caffeInputShape[0] !== batch) throw new UsageError(`the model takes batches of exactly ${md.caffeInputShape[0]}; pass --batch ${md.caffeInputShape[0]}`);
  const output = md.outputNames[0];

  // More TF.js workers than batches or cores only cost memory (each holds the model): capped at both.
  const batches = Math.max(1, Math.ceil(files.length / batch));
  const workers = isOnnxModelPath(opts.modelDir) ? opts.workers : Math.min(opts.workers ?? os.availableParallelism(), batches, Math.max(1, os.availableParallelism()));
  const pool = await createPool({ modelDir: opts.modelDir, workers, backend: opts.backend, threads: opts.threads });
  const t0 = Date.now();
  let top1 = 0;
  let top5 = 0;
  let done = 0;
  let evaluated = 0;
  let classes = -1;
  let toModel: number[] | undefined;
  let toLabels: number[] | undefined;
  const failed: { file: string; error: string }[] = [];
  const predictions: Prediction[] = new Array(files.length);
  const plane = c * h * w;

  const runBatch = async (start: number): Promise<void> => {
    const idx = Array.from({ length: Math.min(batch, files.length - start) }, (_, k) => start + k);
    const buf = new Float32Array(idx.length * plane);
    const settled = await Promise.allSettled(idx.map((i, k) => preprocessImage(path.join(root, files[i]), pre, buf, k * plane)));
    const good: number[] = [];
    settled.forEach((s, k) => {
      if (s.status === 'fulfilled') good.push(k);
      else failed.push({ file: files[idx[k]], error: s.reason instanceof Error ? s.reason.message.split('\n')[0] : String(s.reason) });
    });
    if (good.length > 0) {
      let input: HostArray;
      if (good.length === idx.length) input = { data: buf, shape: [idx.length, c, h, w] };
      else {
        const data = new Float32Array(good.length * plane);
        good.forEach((k, j) => data.set(buf.subarray(k * plane, (k + 1) * plane), j * plane));
        input = { data, shape: [good.length, c, h, w] };
      }
      if (md.caffeInputShape[0] > 0 && good.length !== md.caffeInputShape[0]) {
        for (const k of good) failed.push({ file: files[idx[k]], error: 'its batch lost images and the model takes a fixed batch' });
      } else {
        const res = (await pool.run(input, [output]))[output];
        const n = good.length;
        const per = res.data.length / n;
        if (classes < 0) {
          classes = per;
          if (modelOrder !== labelOrder) {
            if (classes !== 1000) throw new SenetError(`label orders '${labelOrder}' and '${modelOrder}' are ImageNet orders, but the model has ${classes} classes`);
            toModel = indexMap(labelOrder, modelOrder);
            toLabels = indexMap(modelOrder, labelOrder);
          }
        }
        good.forEach((k, j) => {
          const i = idx[k];
          const probs = toProbabilities(res.data.subarray(j * per, (j + 1) * per));
          const t5 = topK(probs, Math.min(5, per));
          const label = labels[i];
          if (label >= per) throw new UsageError(`${opts.labels}: label ${label} of ${files[i]} is not a class of this ${per}-class model`);
          const want = toModel ? toModel[label] : label;
          if (t5[0] === want) top1++;
          if (t5.includes(want)) top5++;
          evaluated++;
          predictions[i] = { file: files[i], label, top5: toLabels ? t5.map((x) => toLabels![x]) : t5, top1Prob: probs[t5[0]] };
        });
      }
    }
    done += idx.length;
    const secs = (Date.now() - t0) / 1000;
    opts.onProgress?.({ done, total: files.length, top1: evaluated > 0 ? top1 / evaluated : 0, imagesPerSecond: secs > 0 ? done / secs : 0 });
  };

  try {
    // Keep 2 batches per worker in flight: one running, one being decoded.
    const starts = Array.from({ length: Math.ceil(files.length / batch) }, (_, b) => b * batch);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < starts.length) await runBatch(starts[next++]);
    };
    await Promise.all(Array.from({ length: Math.max(1, pool.size * 2) }, lane));
  } finally {
    await pool.close();
  }
  const seconds = (Date.now() - t0) / 1000;
  const netName = typeof md.source?.netName === 'string' ? md.source.netName : undefined;
  const proto = typeof md.source?.prototxt === 'string' ? md.source.prototxt : undefined;
  return {
    images: files.length,
    evaluated,
    top1,
    top5,
    top1Accuracy: evaluated > 0 ? top1 / evaluated : 0,
    top5Accuracy: evaluated > 0 ? top5 / evaluated : 0,
    failed,
    classes: Math.max(0, classes),
    seconds,
    imagesPerSecond: seconds > 0 ? files.length / seconds : 0,
    workers: pool.size,
    backends: [...pool.backends],
    modelOrder,
    labelOrder,
    preprocessing: pre,
    published: publishedFor([netName, proto, path.basename(path.resolve(opts.modelDir))]),
    predictions: predictions.filter((p) => p !== undefined),
    ...(opts.shard !== undefined
      ? {
          shard: {
            ...opts.shard,
            firstImage: range.start,
            totalImages: all.length,
            imagesSha256: createHash('sha256').update(all.join('\n')).digest('hex'),
            labelsSha256: createHash('sha256').update(readLabelList(opts.labels).map((e) => `${e.name} ${e.label}\n`).sort().join('')).digest('hex'),
            model: { source: md.source ?? null, inputShape: [...md.caffeInputShape], outputs: [...md.outputNames] },
          },
        }
      : {}),
  };
}
