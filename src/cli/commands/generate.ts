/**
 * `senet generate ID`: writes one architecture's prototxt (deploy or train/test), `--list` names
 * the architectures, `--all -o DIR` writes every one of them.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import { writeFileAtomic } from '../../atomic-write';
import { checkOutputFiles } from '../outputs';
import { archs, findArch, resolveOptions, type ArchEntry, type ArchOptions, type TrainDataOptions } from '../../archs';
import { InputFileError, UsageError } from '../../errors';
import { deprecated } from '../options';
import { createProgress, type ProgressStream } from '../progress';

/** The flags that shape an architecture; summary and show take them too (net-target.ts). */
export interface ArchFlagArgs {
  flavor?: string;
  se?: boolean;
  reduction?: number;
  'input-size'?: number;
  batch?: number;
  'num-classes'?: number;
}

export const ARCH_FLAGS = ['flavor', 'se', 'reduction', 'input-size', 'batch', 'num-classes'] as const satisfies readonly (keyof ArchFlagArgs)[];

/** Declares the `ArchFlagArgs` flags. */
export function archFlagOptions<T>(y: Argv<T>): Argv<T & ArchFlagArgs> {
  return y
    .option('flavor', { type: 'string', choices: ['official', 'bvlc'], describe: 'official: as released (Axpy); bvlc: stock BVLC Caffe layers only' })
    .option('se', { type: 'boolean', describe: 'SE blocks on/off (--no-se: plain residual sums)' })
    .option('reduction', { type: 'number', describe: 'SE reduction ratio r (default 16)' })
    .option('input-size', { type: 'number', describe: 'input height and width (default 224)' })
    .option('batch', { type: 'number', describe: 'batch size (deploy input, or TRAIN data layer)' })
    .option('num-classes', { type: 'number', describe: 'classifier outputs (default 1000)' });
}

export interface GenerateArgs extends ArchFlagArgs {
  id?: string;
  output?: string;
  list?: boolean;
  all?: boolean;
  phase?: string;
  source?: string;
  'test-source'?: string;
  'data-backend'?: string;
  /** Old name of --data-backend. */
  backend?: string;
  'test-batch'?: number;
  'mean-value'?: string;
  'mean-file'?: string;
  scale?: number;
  crop?: number;
  mirror?: boolean;
  'new-height'?: number;
  'new-width'?: number;
  'root-folder'?: string;
  json?: boolean;
  quiet?: boolean;
}

const TRAIN_ONLY = ['source', 'test-source', 'data-backend', 'backend', 'test-batch', 'mean-value', 'mean-file', 'scale', 'crop', 'mirror', 'new-height', 'new-width', 'root-folder'] as const;

function positiveInt(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name} must be a positive integer, got ${v}`);
  return v;
}

function parseMeanValues(s: string | undefined): number[] | undefined {
  if (s === undefined) return undefined;
  const vals = s.split(',').map((p) => p.trim());
  const nums = vals.map(Number);
  if (vals.some((p) => p === '') || nums.some((x) => !Number.isFinite(x)) || (nums.length !== 1 && nums.length !== 3)) {
    throw new UsageError(`--mean-value takes 1 or 3 comma-separated numbers (B,G,R), got '${s}'`);
  }
  return nums;
}

/** The architecture options the flags ask for (entry defaults fill the rest). */
export function optionsFromArgs(entry: ArchEntry, a: GenerateArgs): ArchOptions {
  const phase = a.phase ?? 'deploy';
  if (phase !== 'deploy' && phase !== 'train') throw new UsageError(`--phase must be deploy or train, got '${phase}'`);
  const flavor = a.flavor ?? 'official';
  if (flavor !== 'official' && flavor !== 'bvlc') throw new UsageError(`--flavor must be official or bvlc, got '${flavor}'`);
  let inputSize = positiveInt('input-size', a['input-size']);
  let train: TrainDataOptions | undefined;
  if (phase === 'train') {
    if (a.source === undefined || a['test-source'] === undefined) {
      throw new UsageError('--phase train needs --source (training data) and --test-source (test data)');
    }
    if (a.backend !== undefined && a['data-backend'] !== undefined) throw new UsageError('give --data-backend only (--backend is its old name)');
    const backend = (a['data-backend'] ?? a.backend ?? 'lmdb').toLowerCase();
    if (backend !== 'lmdb' && backend !== 'leveldb' && backend !== 'imagedata') {
      throw new UsageError(`--data-backend must be lmdb, leveldb or imagedata, got '${backend}'`);
    }
    if (backend !== 'imagedata' && (a['new-height'] !== undefined || a['new-width'] !== undefined || a['root-folder'] !== undefined)) {
      throw new UsageError('--new-height, --new-width and --root-folder apply to --data-backend imagedata only');
    }
    const crop = positiveInt('crop', a.crop);
    // The net sees crop x crop images, so the input size follows the crop.
    if (crop !== undefined) {
      if (inputSize !== undefined && inputSize !== crop) {
        throw new UsageError(`--crop ${crop} and --input-size ${inputSize} disagree: the net's input is the crop`);
      }
      inputSize = crop;
    }
    train = {
      trainSource: a.source,
      testSource: a['test-source'],
      backend,
      testBatch: positiveInt('test-batch', a['test-batch']) ?? positiveInt('batch', a.batch) ?? entry.defaults.batch,
      meanValues: parseMeanValues(a['mean-value']),
      meanFile: a['mean-file'],
      scale: a.scale,
      crop,
      mirror: a.mirror ?? true,
      newHeight: positiveInt('new-height', a['new-height']),
      newWidth: positiveInt('new-width', a['new-width']),
      rootFolder: a['root-folder'],
    };
    if (train.meanFile !== undefined && train.meanValues !== undefined) {
      throw new UsageError('give either --mean-file or --mean-value, not both (Caffe rejects both)');
    }
  } else {
    const given = TRAIN_ONLY.filter((k) => a[k] !== undefined);
    if (given.length > 0) throw new UsageError(`${given.map((k) => `--${k}`).join(', ')} ${given.length === 1 ? 'applies' : 'apply'} only with --phase train`);
  }
  return resolveOptions(entry, {
    se: a.se,
    reduction: positiveInt('reduction', a.reduction),
    inputSize,
    batch: positiveInt('batch', a.batch),
    numClasses: positiveInt('num-classes', a['num-classes']),
    flavor,
    phase,
    train,
  });
}

/** One architecture's prototxt under the given flags. */
export function generateText(entry: ArchEntry, a: GenerateArgs): string {
  return entry.build(optionsFromArgs(entry, a)).toPrototxt();
}

/** `--list`: one line per architecture. */
export function listText(): string {
  const w = Math.max(...archs.map((e) => e.id.length));
  return archs.map((e) => `${e.id.padEnd(w)}  ${e.description}\n`).join('');
}

export function runGenerate(a: GenerateArgs, out: (s: string) => void = (s) => process.stdout.write(s), progressStream?: ProgressStream): void {
  if (a.json && !a.list && !a.all && a.output === undefined) throw new UsageError('--json goes with --list, --all or -o FILE (a prototxt on stdout is printed as is)');
  if (a.backend !== undefined) deprecated('generate --backend', '--data-backend', a.quiet || a.json);
  if (a.list) {
    if (a.id !== undefined || a.all) throw new UsageError('--list takes no architecture and no --all');
    if (a.json) out(JSON.stringify(archs.map((e) => ({ id: e.id, description: e.description })), null, 2) + '\n');
    else out(listText());
    return;
  }
  if (a.all) {
    if (a.id !== undefined) throw new UsageError('give either an architecture ID or --all');
    if (a.output === undefined) throw new UsageError('--all needs -o DIR (a folder for <id>.prototxt files)');
    const progress = createProgress({ quiet: a.quiet, stream: progressStream });
    // Build everything first, so a bad flag leaves no half-written folder.
    const texts: (readonly [string, string])[] = [];
    try {
      const phase = progress.phase('generating', archs.length, { lines: archs.length });
      archs.forEach((e, i) => {
        phase.update(i, e.id);
        texts.push([e.id, generateText(e, a)]);
      });
      phase.update(archs.length);
    } finally {
      progress.stop();
    }
    try {
      fs.mkdirSync(a.output, { recursive: true });
    } catch (err) {
      throw new InputFileError(a.output, `cannot create the folder: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const files = texts.map(([id, text]) => {
      const file = path.join(a.output!, `${id}.prototxt`);
      writeFileAtomic(file, text);
      return { id, file, bytes: Buffer.byteLength(text) };
    });
    if (a.json) out(JSON.stringify(files, null, 2) + '\n');
    else progress.note(`wrote ${files.length} prototxt files to ${a.output}`);
    return;
  }
  if (a.id === undefined) throw new UsageError(`name an architecture (senet generate --list); known: ${archs.map((e) => e.id).join(', ')}`);
  checkOutputFiles([a.output], []);
  const entry = findArch(a.id);
  const opts = optionsFromArgs(entry, a);
  const builder = entry.build(opts);
  const text = builder.toPrototxt();
  if (a.output === undefined) {
    out(text);
    return;
  }
  writeFileAtomic(a.output, text);
  const layers = builder.build().layer?.length ?? 0;
  if (a.json) out(JSON.stringify({ id: entry.id, file: a.output, bytes: Buffer.byteLength(text), layers, flavor: opts.flavor, phase: opts.phase }, null, 2) + '\n');
  else createProgress({ quiet: a.quiet, stream: progressStream }).note(`wrote ${a.output}: ${entry.id}, ${layers} layers (${opts.flavor} flavor, ${opts.phase})`);
}

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate [id]',
  describe: 'write the prototxt of a SENet or toolkit architecture (--list names them)',
  builder: (y: Argv<object>) =>
    archFlagOptions(
      y
        .positional('id', { type: 'string', describe: 'architecture ID (see --list)' })
        .option('output', { alias: 'o', type: 'string', describe: 'output file (stdout if omitted); a folder with --all' })
        .option('list', { type: 'boolean', describe: 'list the architecture IDs' })
        .option('all', { type: 'boolean', describe: 'write every architecture to -o DIR as <id>.prototxt' })
        .option('json', { type: 'boolean', describe: 'print JSON on stdout: with --list [{ id, description }]; with --all [{ id, file, bytes }]; with -o { id, file, bytes, layers, flavor, phase }' })
        .option('quiet', { alias: 'q', type: 'boolean', describe: 'no progress or messages on stderr' }),
    )
      .option('phase', { type: 'string', choices: ['deploy', 'train'], describe: 'deploy net, or a train/test net with data layers, loss and accuracy' })
      .group(['source', 'test-source', 'data-backend', 'test-batch', 'mean-value', 'mean-file', 'scale', 'crop', 'mirror', 'new-height', 'new-width', 'root-folder'], 'Train phase (--phase train):')
      .option('source', { type: 'string', describe: 'TRAIN data: LMDB/LevelDB path or ImageData list file' })
      .option('test-source', { type: 'string', describe: 'TEST data: LMDB/LevelDB path or ImageData list file' })
      .option('data-backend', { type: 'string', describe: 'data layer kind: lmdb (default), leveldb or imagedata' })
      .option('backend', { type: 'string', hidden: true, describe: 'old name of --data-backend' })
      .option('test-batch', { type: 'number', describe: 'TEST batch size (default: --batch)' })
      .option('mean-value', { type: 'string', describe: 'per-channel mean, e.g. 104,117,123' })
      .option('mean-file', { type: 'string', describe: 'mean .binaryproto' })
      .option('scale', { type: 'number', describe: 'multiply pixels after mean subtraction' })
      .option('crop', { type: 'number', describe: 'crop size (random in TRAIN, centre in TEST); sets the input size' })
      .option('mirror', { type: 'boolean', describe: 'random mirroring in TRAIN (default on; --no-mirror)' })
      .option('new-height', { type: 'number', describe: 'ImageData: resize height' })
      .option('new-width', { type: 'number', describe: 'ImageData: resize width' })
      .option('root-folder', { type: 'string', describe: 'ImageData: folder prepended to list paths' })
      .example('$0 generate se-resnet-50 -o se-resnet-50.prototxt', 'the official deploy net')
      .example('$0 generate se-resnext-50 --flavor bvlc --input-size 160', 'stock-Caffe layers, 160x160 input')
      .example('$0 generate se-resnet-50 --phase train --source train_lmdb --test-source val_lmdb --mean-value 104,117,123 --crop 224', 'a train/test net'),
  handler: (a) => runGenerate(a),
};
