/**
 * What an output may replace. An output replaces only an earlier output of the same kind: a
 * model folder only a folder that holds a converted model and nothing else, a file only a regular
 * file; never an input of the command or a file inside an input folder, the current folder or a
 * folder above it. Anything else is refused with a message naming it, before any work is done.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SenetError } from './errors';

/** The output exists and `--force` was not given. */
export class OutputExistsError extends SenetError {
  constructor(readonly target: string) {
    super(`${target}: already exists (use --force to replace it)`);
  }
}

/** The output exists and is not something this command may replace, even with --force. */
export class OutputRefusedError extends SenetError {
  constructor(readonly target: string, readonly reason: string) {
    super(`${target}: ${reason}; refusing to replace it`);
  }
}

export type OutputKind = 'model-folder' | 'file';

export interface OutputTargetOptions {
  /** Replace an existing output of the same kind (commands that overwrite files pass true). */
  force: boolean;
  /** The command's input files: never replaced, nor a folder holding one. */
  inputs?: readonly string[];
}

/** The files a converted GraphModel folder consists of. */
const MODEL_FOLDER_FILE = /^(model\.json|group\d+-shard\d+of\d+\.bin)$/;

function realOrResolved(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Whether `p` is an existing folder (following links). */
export function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function describe(st: fs.Stats): string {
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (st.isDirectory()) return 'is a folder';
  if (st.isFile()) return 'is a file';
  return 'is not a regular file (a device, socket or pipe)';
}

/** Throws unless writing `target` (of `kind`) may go ahead; see the module comment. */
export function checkOutputTarget(target: string, kind: OutputKind, opts: OutputTargetOptions): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch {
    return; // nothing there (a missing parent is created, or fails with a write error)
  }
  const real = realOrResolved(target);
  for (const input of opts.inputs ?? []) {
    const inReal = realOrResolved(input);
    if (inReal === real) throw new OutputRefusedError(target, 'is an input of this command');
    if (st.isDirectory() && within(inReal, real)) throw new OutputRefusedError(target, `holds an input of this command (${input})`);
    // A file inside an input folder is an input too (an image of --images DIR, a model folder's model.json).
    if (!st.isDirectory() && isFolder(inReal) && within(real, inReal)) throw new OutputRefusedError(target, `is inside an input folder of this command (${input})`);
  }
  if (kind === 'file') {
    if (!st.isFile()) throw new OutputRefusedError(target, `${describe(st)}, not a file this command wrote`);
    if (!opts.force) throw new OutputExistsError(target);
    return;
  }
  if (!st.isDirectory()) throw new OutputRefusedError(target, `${describe(st)}, not a converted model folder`);
  if (within(process.cwd(), real)) throw new OutputRefusedError(target, 'is the current folder or one above it');
  if (!opts.force) throw new OutputExistsError(target);
  const names = fs.readdirSync(target);
  const foreign = names.filter((n) => !MODEL_FOLDER_FILE.test(n));
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).map((n) => JSON.stringify(n)).join(', ');
    throw new OutputRefusedError(target, `holds files that are not part of a converted model (${shown}${foreign.length > 3 ? `, ${foreign.length - 3} more` : ''})`);
  }
  if (names.length > 0 && !names.includes('model.json')) throw new OutputRefusedError(target, 'holds no model.json, so it is not a converted model folder');
  for (const n of names) {
    if (!fs.lstatSync(path.join(target, n)).isFile()) throw new OutputRefusedError(target, `holds '${n}', which is not a regular file`);
  }
}
