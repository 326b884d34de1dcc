/** Atomic file writes, used by every command and module that writes a file. */
import * as fs from 'fs';
import * as path from 'path';
import { InputFileError } from './errors';
import { checkOutputTarget } from './output-target';
import { discardTemp, holdTemp, releaseTemp, removeStaleTemps, tempPathFor } from './temp-files';

export interface WriteFileOptions {
  /** The command's inputs: refused as the target (see output-target). */
  inputs?: readonly string[];
}

/**
 * Writes a file atomically: a temp file in the same folder (same file system), then rename, so a
 * reader never sees half a file and a failed write leaves the old file intact. Only a regular
 * file that is not an input is replaced; the new file gets the umask's mode.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: WriteFileOptions = {}): void {
  writeFileAtomicWith(file, (fd) => {
    fs.writeFileSync(fd, data);
  }, opts);
}

/**
 * The same for content written piece by piece (a model too big to join in memory): `write` gets
 * the temp file's descriptor. Errors other than the file system's (a bug, a failed weight read)
 * pass through unchanged after the temp file is removed.
 */
export function writeFileAtomicWith(file: string, write: (fd: number) => void, opts: WriteFileOptions = {}): void {
  const steps = atomicWriter(file, function* (fd) {
    write(fd);
  }, opts);
  while (steps.next().done !== true);
}

/**
 * writeFileAtomicWith for a long write given as steps: it returns to the event loop after each,
 * so SIGINT/SIGTERM/SIGHUP are handled during the write (the temp file is removed, the old file
 * stays) instead of after it.
 */
export async function writeFileAtomicWithSteps(file: string, write: (fd: number) => Generator<void, void, void>, opts: WriteFileOptions = {}): Promise<void> {
  const steps = atomicWriter(file, write, opts);
  while (steps.next().done !== true) await new Promise<void>((resolve) => setImmediate(resolve));
}

function* atomicWriter(file: string, write: (fd: number) => Generator<void, void, void>, opts: WriteFileOptions): Generator<void, void, void> {
  checkOutputTarget(file, 'file', { force: true, inputs: opts.inputs });
  removeStaleTemps(path.dirname(path.resolve(file)));
  const tmp = tempPathFor(file);
  holdTemp(tmp);
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      yield* write(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    releaseTemp(tmp);
  } catch (e) {
    discardTemp(tmp);
    // Errors other than the file system's (bad content, a failed weight read) pass through.
    if ((e as NodeJS.ErrnoException).code === undefined) throw e;
    throw new InputFileError(file, `cannot write: ${writeErrorText(e)}`);
  }
}

/** A write error as users read it: the errno code with what it means for the common ones. */
export function writeErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const meaning: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EFBIG: 'file too large for the file system or the process limit',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'the folder does not exist',
    ENOTDIR: 'a part of the path is not a folder',
    EISDIR: 'is a folder',
    EIO: 'input/output error',
  };
  if (code === undefined) return e instanceof Error ? e.message : String(e);
  return meaning[code] !== undefined ? `${meaning[code]} (${code})` : code;
}
