/** Atomic file writes, used by every command and module that writes a file. */
import * as fs from 'fs';
import * as path from 'path';
import { InputFileError } from './errors';

/**
 * Writes a file atomically: a temp file in the same folder (same file system), then rename, so a
 * reader never sees half a file and a failed write leaves the old file intact.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  writeFileAtomicWith(file, (fd) => fs.writeFileSync(fd, data));
}

/**
 * The same for content written piece by piece (a model too big to join in memory): `write` gets
 * the temp file's descriptor. Errors other than the file system's (a bug, a failed weight read)
 * pass through unchanged after the temp file is removed.
 */
export function writeFileAtomicWith(file: string, write: (fd: number) => void): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      write(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // the temp file was never created
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined) throw e;
    throw new InputFileError(file, `cannot write: ${code}`);
  }
}
