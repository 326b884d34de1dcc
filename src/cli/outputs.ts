/**
 * Output files named on the command line, checked before the command does its work: each may
 * replace only a regular file that is not one of the command's inputs (see output-target), and
 * its folder must exist.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputFileError, UsageError } from '../errors';
import { checkOutputTarget, isFolder } from '../output-target';

/** Throws (naming the file) if any of `outputs` may not be written; undefined entries are skipped. */
export function checkOutputFiles(outputs: ReadonlyArray<string | undefined>, inputs: ReadonlyArray<string | undefined>): void {
  const ins = inputs.filter((x): x is string => x !== undefined && x !== '' && x !== '-');
  const given = outputs.filter((o): o is string => o !== undefined);
  // Two outputs on one path: the second write would silently replace the first.
  const seen = new Set<string>();
  for (const o of given) {
    const key = path.resolve(o);
    if (seen.has(key)) throw new UsageError(`${o}: named for two outputs of this command; give each its own file`);
    seen.add(key);
  }
  for (const o of given) {
    checkOutputTarget(o, 'file', { force: true, inputs: ins });
    // Checked now, not when the result is written after hours of work (an eval slice).
    const dir = path.dirname(path.resolve(o));
    if (!isFolder(dir)) throw new InputFileError(o, `cannot write: ${fs.existsSync(dir) ? 'a part of the path is not a folder (ENOTDIR)' : 'the folder does not exist (ENOENT)'}`);
  }
}
