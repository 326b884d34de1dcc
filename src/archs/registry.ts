import { UsageError } from '../errors';
import { senetArchs } from './senet';
import { toolkitArchs } from './toolkit';
import type { ArchEntry, ArchOptions } from './types';

/** Every generator configuration, in `--list` order. */
export const archs: readonly ArchEntry[] = [...senetArchs, ...toolkitArchs];

export function findArch(id: string): ArchEntry {
  const entry = archs.find((a) => a.id === id);
  if (entry === undefined) {
    throw new UsageError(`unknown architecture '${id}'; known: ${archs.map((a) => a.id).join(', ')}`);
  }
  return entry;
}

/** Defaults of the entry, overridden by the given options. */
export function resolveOptions(entry: ArchEntry, given: Partial<ArchOptions> = {}): ArchOptions {
  const opts: ArchOptions = { ...entry.defaults, flavor: 'official', phase: 'deploy' };
  for (const [k, v] of Object.entries(given)) {
    if (v !== undefined) (opts as unknown as Record<string, unknown>)[k] = v;
  }
  return opts;
}
