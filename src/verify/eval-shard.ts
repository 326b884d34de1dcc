/**
 * Evaluation across machines: `senet eval --shard K/N` evaluates a fixed slice of the image list
 * (the K-th of N contiguous slices of the sorted list, after --limit) and writes a partial result;
 * `senet eval --merge PART...` combines the N parts into the report one run over the whole list
 * gives: the same top-1/top-5 counts and the same predictions, image by image, in the same order.
 */
import { InputFileError, UsageError } from '../errors';
import { INPUT_LIMITS, readInputFile } from '../input-file';
import type { EvalResult } from './eval';
import { shardRange } from './shard';

export { parseShard, shardRange } from './shard';

/** What a part file holds: one shard's EvalResult, predictions included. */
export interface EvalPart {
  senetEvalPart: 1;
  result: EvalResult;
}

export function evalPartJson(r: EvalResult): string {
  if (r.shard === undefined) throw new UsageError('not a sharded result (run eval with --shard K/N)');
  const part: EvalPart = { senetEvalPart: 1, result: r };
  return JSON.stringify(part) + '\n';
}

function readPart(file: string): EvalResult {
  const text = readInputFile(file, INPUT_LIMITS.binary, 'an eval part').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputFileError(file, `not an eval part: not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  const p = json as Partial<EvalPart>;
  if (p === null || typeof p !== 'object' || p.senetEvalPart !== 1 || p.result?.shard === undefined || !Array.isArray(p.result.predictions)) {
    throw new InputFileError(file, 'not a senet eval part (write one with senet eval --shard K/N --save-part FILE)');
  }
  const why = partDefect(p.result);
  if (why !== undefined) throw new InputFileError(file, `not a valid eval part (edited or damaged?): ${why}`);
  for (const q of p.result.predictions) q.top1Prob ??= NaN;
  return p.result;
}

const count = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;

/**
 * What is inconsistent in a part that parsed, else undefined: the counts the merge adds must be
 * whole numbers, and the top-1/top-5 counts and images must agree with its predictions and
 * failures (a prediction's top5 and label are both in the labels file's order; top1Prob is null
 * where the model gave NaN, which JSON cannot hold).
 */
function partDefect(r: EvalResult): string | undefined {
  const s = r.shard!;
  if (![s.index, s.count, s.firstImage, s.totalImages].every(count)) return 'its shard position (index, count, firstImage, totalImages) is missing or not whole numbers';
  if (s.index < 1 || s.index > s.count) return `shard ${s.index}/${s.count}: K/N needs 1 <= K <= N`;
  for (const k of ['images', 'evaluated', 'top1', 'top5'] as const) if (!count(r[k])) return `${k} is ${JSON.stringify(r[k])}, not a count`;
  if (!Array.isArray(r.failed)) return 'no list of failed images';
  const bad = r.predictions.findIndex((q) => q === null || typeof q !== 'object' || typeof q.file !== 'string' || !count(q.label) || !Array.isArray(q.top5) || (typeof q.top1Prob !== 'number' && q.top1Prob !== null));
  if (bad >= 0) return `prediction ${bad + 1} is ${JSON.stringify(r.predictions[bad]).slice(0, 80)}`;
  if (r.predictions.length !== r.evaluated || r.evaluated + r.failed.length !== r.images) {
    return `${r.images} images, ${r.evaluated} evaluated, but ${r.predictions.length} predictions and ${r.failed.length} failures`;
  }
  const top1 = r.predictions.filter((q) => q.top5[0] === q.label).length;
  const top5 = r.predictions.filter((q) => q.top5.includes(q.label)).length;
  if (top1 !== r.top1 || top5 !== r.top5) return `top-1/top-5 counts ${r.top1}/${r.top5}, its predictions give ${top1}/${top5}`;
  return undefined;
}

/**
 * One run's result from the parts of a sharded run: every shard 1..N exactly once, all from the
 * same image list and protocol. Counts and predictions are exact; `seconds` is the slowest
 * part's (the wall time when the parts ran side by side) and images/s is the parts' sum.
 */
export function mergeEvalParts(files: readonly string[]): EvalResult {
  if (files.length === 0) throw new UsageError('--merge needs the part files');
  const parts = files.map((f) => ({ file: f, r: readPart(f) }));
  const count = parts[0].r.shard!.count;
  const total = parts[0].r.shard!.totalImages;
  const seen = new Map<number, string>();
  const same = (what: string, get: (r: EvalResult) => unknown): void => {
    const want = JSON.stringify(get(parts[0].r));
    for (const p of parts) {
      if (JSON.stringify(get(p.r)) !== want) throw new UsageError(`${p.file}: its ${what} differs from ${parts[0].file}'s; the parts are not of one run`);
    }
  };
  same('shard count', (r) => r.shard!.count);
  same('image count', (r) => r.shard!.totalImages);
  same('preprocessing', (r) => r.preprocessing);
  same('label orders', (r) => [r.labelOrder, r.modelOrder]);
  same('image list (names in order)', (r) => r.shard!.imagesSha256);
  same('labels file', (r) => r.shard!.labelsSha256);
  same('model (source, input shape or outputs)', (r) => r.shard!.model);
  for (const p of parts) {
    const s = p.r.shard!;
    const prev = seen.get(s.index);
    if (prev !== undefined) throw new UsageError(`shard ${s.index}/${count} is given twice (${prev} and ${p.file})`);
    seen.set(s.index, p.file);
    const want = shardRange(total, s.index, count);
    if (s.firstImage !== want.start || p.r.images !== want.end - want.start) {
      throw new UsageError(`${p.file}: shard ${s.index}/${count} holds images ${s.firstImage}..${s.firstImage + p.r.images} of ${total}, expected ${want.start}..${want.end}`);
    }
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((k) => !seen.has(k));
  if (missing.length > 0) throw new UsageError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${count}`).join(', ')} missing`);
  parts.sort((a, b) => a.r.shard!.index - b.r.shard!.index);
  const rs = parts.map((p) => p.r);
  const sum = (f: (r: EvalResult) => number): number => rs.reduce((a, r) => a + f(r), 0);
  const evaluated = sum((r) => r.evaluated);
  const top1 = sum((r) => r.top1);
  const top5 = sum((r) => r.top5);
  const seconds = Math.max(...rs.map((r) => r.seconds));
  const first = rs[0];
  const { shard: _s, ...base } = first;
  return {
    ...base,
    images: total,
    evaluated,
    top1,
    top5,
    top1Accuracy: evaluated > 0 ? top1 / evaluated : 0,
    top5Accuracy: evaluated > 0 ? top5 / evaluated : 0,
    failed: rs.flatMap((r) => r.failed),
    classes: Math.max(...rs.map((r) => r.classes)),
    seconds,
    imagesPerSecond: sum((r) => r.imagesPerSecond),
    workers: sum((r) => r.workers),
    backends: rs.flatMap((r) => r.backends),
    published: rs.find((r) => r.published !== undefined)?.published,
    predictions: rs.flatMap((r) => r.predictions),
  };
}
