/**
 * The `ID|FILE` argument of `senet summary` and `senet show`: an architecture from the registry
 * (built with the generate flags) or a prototxt file, resolved to a net and its inferred shapes.
 */
import * as fs from 'fs';
import type { Argv } from 'yargs';
import { archs, type ArchEntry } from '../archs';
import { UsageError } from '../errors';
import { UNKNOWN, handlerFor, inferShapes, layerHandlers, layerIncluded, type NetShapes } from '../layers';
import type { NetParameter, Phase } from '../schema';
import { readNetText } from '../upgrade';
import { ARCH_FLAGS, archFlagOptions, optionsFromArgs, type ArchFlagArgs, type GenerateArgs } from './commands/generate';
import { parseInputShape } from './args';

export interface NetTargetArgs extends ArchFlagArgs {
  target: string;
  phase?: string;
  'input-shape'?: string;
}

export interface ResolvedNet {
  /** What the user named: the ID, or the file path. */
  source: string;
  kind: 'arch' | 'file';
  net: NetParameter;
  shapes: NetShapes;
  phase: Phase;
}

/** The options shared by summary and show. */
export function netTargetOptions<T>(y: Argv<T>): Argv<T> {
  return archFlagOptions(
    y
      .positional('target', { type: 'string', demandOption: true, describe: 'architecture ID (senet generate --list) or prototxt file' })
      .option('phase', { type: 'string', choices: ['deploy', 'train', 'test'], describe: 'deploy net (default), or the TRAIN / TEST net of a train/test definition' })
      .option('input-shape', { type: 'string', describe: 'N,C,H,W of the image input (a data layer cannot tell its shape)' })
      .group([...ARCH_FLAGS], 'Architecture IDs (as in senet generate):'),
  ) as unknown as Argv<T>;
}

/** Decides whether TARGET is a file or an ID: an existing file wins, then a registry ID. */
function findTarget(target: string): { kind: 'file' } | { kind: 'arch'; entry: ArchEntry } {
  let isFile = false;
  try {
    isFile = fs.statSync(target).isFile();
  } catch {
    // not a file: maybe an ID
  }
  if (isFile) return { kind: 'file' };
  const entry = archs.find((a) => a.id === target);
  if (entry !== undefined) return { kind: 'arch', entry };
  throw new UsageError(`'${target}' is neither a file nor an architecture ID (senet generate --list names them)`);
}

/**
 * Shapes for the image tops of data layers, which only data can tell: `--input-shape`, else
 * (for IDs) 3 x input-size x input-size at the layer's own batch size.
 */
function dataShapes(net: NetParameter, phase: Phase, given: number[] | undefined, size: number | undefined): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const state = { phase, level: 0, stages: [] as string[] };
  for (const layer of net.layer ?? []) {
    // Types senet does not know are drawn as unknown (inferShapes' tolerant mode), not read here.
    if ((layer.bottom ?? []).length > 0 || !layerIncluded(layer, state) || !layerHandlers.has(layer.type ?? '')) continue;
    const handler = handlerFor(layer);
    // A layer that needs bottoms but has none is reported by shape inference, with its name.
    if (handler.bottoms.min > 0) continue;
    const own = handler.outputShapes(layer, []);
    const top = layer.top?.[0];
    if (top === undefined || !own[0]?.includes(UNKNOWN)) continue;
    if (given !== undefined) out[top] = given.slice();
    else if (size !== undefined && own[0].length === 4) out[top] = [own[0][0], 3, size, size];
    else {
      throw new UsageError(`layer '${layer.name ?? '?'}' (${layer.type ?? '?'}) reads its shape from data; pass --input-shape N,C,H,W`);
    }
  }
  return out;
}

/**
 * The net of `target`: a prototxt file, or the deploy net of an architecture ID built with the
 * architecture flags (which a file refuses). For commands that need the net, not its shapes.
 */
export function netOfTarget(target: string, a: ArchFlagArgs): { net: NetParameter; kind: 'arch' | 'file'; source: string } {
  const found = findTarget(target);
  if (found.kind === 'file') {
    const given = ARCH_FLAGS.filter((k) => a[k] !== undefined);
    if (given.length > 0) throw new UsageError(`${given.map((k) => `--${k}`).join(', ')} ${given.length === 1 ? 'applies' : 'apply'} to architecture IDs only, not to a file`);
    return { net: readNetText(target), kind: 'file', source: target };
  }
  const genArgs: GenerateArgs = { flavor: a.flavor, se: a.se, reduction: a.reduction, 'input-size': a['input-size'], batch: a.batch, 'num-classes': a['num-classes'] };
  return { net: found.entry.build(optionsFromArgs(found.entry, genArgs)).build(), kind: 'arch', source: found.entry.id };
}

export function resolveNetTarget(a: NetTargetArgs): ResolvedNet {
  const found = findTarget(a.target);
  const phaseArg = a.phase ?? 'deploy';
  const phase: Phase = phaseArg === 'train' ? 'TRAIN' : 'TEST';
  const inputShape = parseInputShape(a['input-shape']);
  if (found.kind === 'file') {
    const given = ARCH_FLAGS.filter((k) => a[k] !== undefined);
    if (given.length > 0) throw new UsageError(`${given.map((k) => `--${k}`).join(', ')} ${given.length === 1 ? 'applies' : 'apply'} to architecture IDs only, not to a file`);
    const net = readNetText(a.target);
    let inputShapes = dataShapes(net, phase, inputShape, undefined);
    if (inputShape !== undefined && Object.keys(inputShapes).length === 0) {
      // No data layer: the shape replaces the first Input / legacy input instead.
      const first = net.input?.[0] ?? (net.layer ?? []).find((l) => l.type === 'Input')?.top?.[0];
      if (first === undefined) throw new UsageError('--input-shape given, but the net has no input to apply it to');
      inputShapes = { [first]: inputShape };
    }
    return { source: a.target, kind: 'file', net, shapes: inferShapes(net, { phase, inputShapes, tolerant: true }), phase };
  }
  const entry = found.entry;
  // A train/test net needs data sources by name; nothing is read, so placeholders do.
  const genArgs: GenerateArgs = {
    flavor: a.flavor,
    se: a.se,
    reduction: a.reduction,
    'input-size': a['input-size'],
    batch: a.batch,
    'num-classes': a['num-classes'],
    phase: phaseArg === 'deploy' ? 'deploy' : 'train',
    ...(phaseArg === 'deploy' ? {} : { source: 'train_lmdb', 'test-source': 'val_lmdb' }),
  };
  const opts = optionsFromArgs(entry, genArgs);
  const net = entry.build(opts).build();
  const inputShapes = phaseArg === 'deploy' ? {} : dataShapes(net, phase, inputShape, opts.inputSize);
  if (phaseArg === 'deploy' && inputShape !== undefined) {
    throw new UsageError('--input-shape applies to files and train/test nets; use --input-size and --batch with an ID');
  }
  return { source: entry.id, kind: 'arch', net, shapes: inferShapes(net, { phase, inputShapes, tolerant: true }), phase };
}
