import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import { SenetError, UsageError } from '../../errors';
import { checkOutputFiles } from '../outputs';
import { BACKEND_ORDER, checkOnnxThreads, type BackendName } from '../../runtime';
import {
  describePreprocessing, evalPartJson, evaluate, mergeEvalParts, parseShard, readModelMetadata, renderEvalPage, type EvalProgress, type EvalResult,
} from '../../verify';
import {
  classOrderOption, commonOptions, deprecated, parseClassOrder, positiveInteger, preprocessFlags, preprocessOptions, workersOption, type PreprocessArgs,
} from '../options';
import { createProgress, type ProgressPhase } from '../progress';
import { writeFileAtomic } from '../../atomic-write';

interface EvalArgs extends PreprocessArgs {
  model?: string;
  images?: string;
  labels?: string;
  shard?: string;
  'save-part'?: string;
  merge?: string[];
  threads?: number;
  'class-order'?: string;
  'label-order'?: string;
  limit?: number;
  batch: number;
  workers?: number;
  'save-predictions'?: string;
  json?: boolean;
  html?: string;
  quiet?: boolean;
  backend?: string;
}

/** Progress on stderr (see ../progress): a bar, or a line every 5 % of the images. */
function progress(quiet: boolean): { on: (p: EvalProgress) => void; stop: () => void } {
  const pr = createProgress({ quiet });
  let phase: ProgressPhase | undefined;
  return {
    on: (p) => {
      phase ??= pr.phase('eval', p.total, { lines: 20 });
      phase.update(p.done, `images, ${p.imagesPerSecond.toFixed(1)} img/s, top-1 ${(p.top1 * 100).toFixed(2)}%`);
    },
    stop: () => pr.stop(),
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

export function formatEval(r: EvalResult): string {
  const rows: string[][] = [['', 'top-1', 'top-5']];
  rows.push([`this run (${r.evaluated} images)`, pct(r.top1Accuracy), pct(r.top5Accuracy)]);
  if (r.published) {
    rows.push([`published (${r.published.model}, ${r.published.dataset})`, `${r.published.top1.toFixed(2)}%`, r.published.top5 !== undefined ? `${r.published.top5.toFixed(2)}%` : '-']);
  }
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length)));
  const out = rows.map((row) => [row[0].padEnd(w[0]), row[1].padStart(w[1]), row[2].padStart(w[2])].join('  '));
  out.splice(1, 0, w.map((n) => '-'.repeat(n)).join('  '));
  if (r.published) out.push(`published: ${r.published.source}`);
  const engines = [...new Set(r.backends)];
  const onnx = engines.every((b) => b.startsWith('onnxruntime'));
  const ran = onnx ? `engine onnxruntime (device ${engines.map((b) => b.replace('onnxruntime-', '')).join(', ')})` : `${r.workers} worker(s) (${engines.join(', ')})`;
  out.push(`${r.images} images${r.shard !== undefined ? ` (shard ${r.shard.index}/${r.shard.count} of ${r.shard.totalImages})` : ''}, ${r.failed.length} unreadable; ${r.imagesPerSecond.toFixed(1)} img/s with ${ran}; ${r.seconds.toFixed(1)} s`);
  out.push(`labels in '${r.labelOrder}' order, model outputs '${r.modelOrder}' order`);
  out.push(`preprocessing ${describePreprocessing(r.preprocessing)}`);
  for (const f of r.failed) out.push(`unreadable: ${f.file}: ${f.error}`);
  return out.join('\n') + '\n';
}

/** `senet eval (DIR | MODEL.onnx) --images DIR|LIST --labels FILE [--shard K/N --save-part F]`, or `senet eval --merge PART...`. */
export const evalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval [model]',
  describe: 'top-1/top-5 accuracy of a converted model over labelled images (single centre crop, Caffe protocol); --shard/--merge split it across machines',
  builder: (y: Argv) =>
    preprocessOptions(
      workersOption(
        classOrderOption(
          commonOptions(y, 'the result (accuracy, counts, preprocessing, throughput)')
            .positional('model', { type: 'string', describe: 'converted model: a TF.js GraphModel folder or an .onnx file (not with --merge)' })
            .option('images', { type: 'string', describe: 'image folder (recursive) or a text file listing image paths' })
            .option('labels', { type: 'string', describe: "val.txt-style list: 'name index' per line" })
            .option('shard', { type: 'string', describe: 'evaluate only slice K of N (K/N, 1 <= K <= N): a fixed contiguous part of the sorted image list; needs --save-part' })
            .option('save-part', { type: 'string', describe: 'with --shard: write the partial result (JSON, predictions included) for --merge' })
            .option('merge', { type: 'string', array: true, describe: 'combine the part files of a sharded run into one report (give all N parts; no model or images)' })
            .option('threads', { type: 'number', describe: 'ONNX Runtime intra-op threads (.onnx models; default: one per core)' }),
          "class order of the labels file's indices: 'standard' (Caffe's sorted synsets, val.txt; default) or 'senet' (ILSVRC2012 devkit, ILSVRC2017_val.txt)",
        )
          .option('label-order', { type: 'string', hidden: true, describe: 'old name of --class-order' })
          .option('limit', { type: 'number', describe: 'evaluate the first N images only' })
          .option('batch', { type: 'number', default: 1, describe: 'images per model run' }),
      )
        .option('save-predictions', { type: 'string', describe: 'write a TSV: file, label, top-5 (comma-separated), top-1 probability' })
        .option('html', { type: 'string', describe: 'also write a self-contained HTML report (accuracy vs published, confusions, unreadable images) to this file' })
        .option('backend', { type: 'string', choices: [...BACKEND_ORDER], describe: 'backend of every worker' }),
    )
      .example('$0 eval se-resnet-50 --images ILSVRC2012_img_val --labels val.txt', 'ImageNet validation, Caffe-order labels')
      .example('$0 eval squeezenet --images val --labels val.txt --protocol bvlc-227', "BVLC's protocol: images warped to 256x256, crop 227")
      .example('$0 eval senet-154.onnx --images val --labels val.txt --shard 2/8 --save-part part-2.json', 'the 2nd of 8 slices, on ONNX Runtime')
      .example('$0 eval --merge part-*.json --save-predictions predictions.tsv', 'the report of the whole run from its 8 parts') as unknown as Argv<EvalArgs>,
  handler: async (args) => {
    const num = positiveInteger;
    checkOutputFiles([args['save-predictions'], args.html, args['save-part']], evalInputs(args));
    let r: EvalResult;
    if (args.merge !== undefined) {
      const clash = (['images', 'labels', 'shard', 'save-part', 'limit'] as const).filter((k) => args[k] !== undefined);
      if (args.model !== undefined || clash.length > 0) throw new UsageError(`--merge combines part files only; drop ${args.model !== undefined ? 'the model' : `--${clash[0]}`}`);
      r = mergeEvalParts(args.merge);
      return report(args, r);
    }
    if (args.model === undefined) throw new UsageError('give the model (a GraphModel folder or an .onnx file), or --merge PART...');
    if (args.images === undefined || args.labels === undefined) throw new UsageError(`--${args.images === undefined ? 'images' : 'labels'} is required`);
    const shard = args.shard === undefined ? undefined : parseShard(args.shard);
    if ((shard === undefined) !== (args['save-part'] === undefined)) throw new UsageError(shard === undefined ? '--save-part is for --shard K/N' : '--shard needs --save-part FILE (the partial result for --merge)');
    if (args['label-order'] !== undefined) {
      if (args['class-order'] !== undefined) throw new UsageError('give --class-order only (--label-order is its old name)');
      deprecated('--label-order', '--class-order', args.quiet || args.json);
    }
    const classOrder = parseClassOrder(args['class-order'] ?? args['label-order'] ?? 'standard', args['class-order'] === undefined && args['label-order'] !== undefined ? '--label-order' : '--class-order');
    const flags = preprocessFlags(args);
    const p = progress(Boolean(args.quiet || args.json));
    try {
      r = await evaluate({
        modelDir: args.model,
        images: args.images,
        labels: args.labels,
        threads: checkOnnxThreads(args.threads),
        ...(shard !== undefined ? { shard } : {}),
        labelOrder: classOrder,
        limit: num(args.limit, 'limit', 1),
        batch: num(args.batch, 'batch', 1),
        workers: num(args.workers, 'workers', 1),
        backend: args.backend as BackendName | undefined,
        ...flags,
        onProgress: p.on,
      });
    } finally {
      p.stop();
    }
    if (args['save-part'] !== undefined) writeFileAtomic(args['save-part'], evalPartJson(r), { inputs: evalInputs(args) });
    report(args, r);
  },
};

/** The report: predictions TSV, HTML page, and the table or JSON on stdout. */
/** The files eval reads, which its outputs must not replace. */
function evalInputs(args: EvalArgs): string[] {
  return [args.model, args.images, args.labels, ...(args.merge ?? [])].filter((x): x is string => x !== undefined);
}

function report(args: EvalArgs, r: EvalResult): void {
  const inputs = evalInputs(args);
  if (args['save-predictions'] !== undefined) {
    const lines = r.predictions.map((x) => `${x.file}\t${x.label}\t${x.top5.join(',')}\t${x.top1Prob.toPrecision(6)}`);
    writeFileAtomic(args['save-predictions'], lines.join('\n') + (lines.length > 0 ? '\n' : ''), { inputs });
  }
  if (args.html !== undefined) {
    // The model's own class names apply when they are in the labels' order (no ImageNet remap).
    const md = args.model === undefined ? undefined : readModelMetadata(args.model);
    const classNames = md?.labels?.length === r.classes && r.modelOrder === r.labelOrder ? md.labels : undefined;
    const model = args.model === undefined ? `${args.merge?.length ?? 0} merged parts` : path.basename(path.resolve(args.model));
    writeFileAtomic(args.html, renderEvalPage(r, { model, images: args.images ?? '', labels: args.labels ?? '', classNames }), { inputs });
    if (!args.quiet && !args.json) process.stderr.write(`senet: wrote ${args.html}\n`);
  }
  if (args.json) {
    const { predictions: _p, ...rest } = r;
    process.stdout.write(JSON.stringify(rest, null, 2) + '\n');
  } else {
    process.stdout.write(formatEval(r));
  }
  // An accuracy over no image is no result (the unreadable ones are listed above).
  if (r.evaluated === 0) throw new SenetError(`no image could be evaluated (${r.failed.length} of ${r.images} unreadable)`);
}
