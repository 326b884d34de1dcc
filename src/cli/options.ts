/**
 * Options that several commands share, declared once so that their names, choices and wording are
 * the same everywhere: -q/--quiet and --json (every command), --channel-order, --class-order,
 * --workers, --protocol and the preprocessing overrides.
 */
import * as os from 'os';
import type { Argv } from 'yargs';
import { UsageError } from '../errors';
import { LABEL_ORDERS, type LabelOrder } from '../imagenet';
import { parseMean, parseProtocol, PROTOCOLS, type PreprocessFlags } from '../verify';

export interface CommonArgs {
  quiet?: boolean;
  json?: boolean;
}

/** -q/--quiet and --json; `json` says what the JSON holds. */
export function commonOptions<T>(y: Argv<T>, json: string): Argv<T & CommonArgs> {
  return y
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'no progress or messages on stderr (errors still go there)' })
    .option('json', { type: 'boolean', describe: `print JSON on stdout: ${json}` }) as Argv<T & CommonArgs>;
}

export const CHANNEL_ORDERS = ['BGR', 'RGB', 'GRAY'] as const;
export type ChannelOrder = (typeof CHANNEL_ORDERS)[number];

/** --channel-order, in any case (bgr, BGR, Bgr). */
export function channelOrderOption<T>(y: Argv<T>, describe: string): Argv<T> {
  return y.option('channel-order', { type: 'string', describe: `${describe}: bgr, rgb or gray (any case)` });
}

export function parseChannelOrder(text: string | undefined): ChannelOrder | undefined {
  if (text === undefined) return undefined;
  const up = text.toUpperCase();
  const found = CHANNEL_ORDERS.find((c) => c === up);
  if (found === undefined) throw new UsageError(`--channel-order '${text}' must be bgr, rgb or gray (any case)`);
  return found;
}

/** --class-order senet|standard: which ImageNet class order the indices in question follow. */
export function classOrderOption<T>(y: Argv<T>, describe: string): Argv<T> {
  return y.option('class-order', { type: 'string', describe: `${describe}: ${LABEL_ORDERS.join(' or ')}` });
}

export function parseClassOrder(text: string | undefined, option = '--class-order'): LabelOrder | undefined {
  if (text === undefined) return undefined;
  const t = text.toLowerCase();
  const found = LABEL_ORDERS.find((o) => o === t);
  if (found === undefined) throw new UsageError(`${option} '${text}' must be ${LABEL_ORDERS.join(' or ')}`);
  return found;
}

/** Prints a one-line notice that an old flag still works but has a new name. */
export function deprecated(old: string, now: string, quiet: boolean | undefined): void {
  if (!quiet) process.stderr.write(`senet: note: ${old} is deprecated; use ${now}\n`);
}

/** The worker default of every command that has --workers (bench, eval): one per core. */
export function defaultWorkers(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

export function workersOption<T>(y: Argv<T>): Argv<T> {
  return y.option('workers', { type: 'number', describe: `worker threads (default: one per core, ${defaultWorkers()} here; 1 runs in this thread)` });
}

export function positiveInteger(v: number | undefined, name: string, min = 1): number | undefined {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new UsageError(`--${name} must be an integer >= ${min}`);
  return v;
}

export interface PreprocessArgs {
  mean?: string;
  scale?: number;
  resize?: number;
  crop?: number;
  'channel-order'?: string;
  protocol?: string;
}

/** The preprocessing overrides of eval, predict and preprocess (one set, one meaning). */
export function preprocessOptions<T>(y: Argv<T>): Argv<T & PreprocessArgs> {
  return channelOrderOption(
    y
      .option('protocol', {
        type: 'string',
        describe: `resize/crop protocol: auto (by input size: 224/227 shorter side 256, >= 299 crop/0.875, <= 64 none), ${PROTOCOLS.join(', ')}`,
      })
      .option('mean', { type: 'string', describe: 'per-channel mean in the model channel order (e.g. 104,117,123) or a .binaryproto (default: metadata)' })
      .option('scale', { type: 'number', describe: 'multiplier after mean subtraction (default: metadata, else 1)' })
      .option('resize', { type: 'number', describe: "shorter side after resizing, overriding the protocol's (0 = none)" })
      .option('crop', { type: 'number', describe: 'centre crop size (default: the model input size)' }),
    'channel order of the model input (default: metadata, else BGR)',
  ) as Argv<T & PreprocessArgs>;
}

export function preprocessFlags(a: PreprocessArgs): PreprocessFlags {
  if (a.scale !== undefined && !Number.isFinite(a.scale)) throw new UsageError('--scale must be a number');
  return {
    mean: a.mean === undefined ? undefined : parseMean(a.mean),
    scale: a.scale,
    resize: positiveInteger(a.resize, 'resize', 0),
    crop: positiveInteger(a.crop, 'crop', 1),
    channelOrder: parseChannelOrder(a['channel-order']),
    protocol: parseProtocol(a.protocol),
  };
}
