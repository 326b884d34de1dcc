/** Atomic file writes, used by every command and module that writes a file. */
import * as fs from 'fs';
import * as path from 'path';
import { InputFileError } from './errors';

/**
 * Writes a file atomically: a temp file in the same folder (same file system), then rename, so a
 * reader never sees half a file and a failed write leaves the old file intact.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    fs.writeFileSync(tmp, data, { flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // the temp file was never created
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(file, `cannot write: ${code ?? String(e)}`);
  }
}
