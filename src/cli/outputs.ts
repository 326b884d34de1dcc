/**
 * Output files named on the command line, checked before the command does its work: each may
 * replace only a regular file that is not one of the command's inputs (see output-target).
 */
import { checkOutputTarget } from '../output-target';

/** Throws (naming the file) if any of `outputs` may not be written; undefined entries are skipped. */
export function checkOutputFiles(outputs: ReadonlyArray<string | undefined>, inputs: ReadonlyArray<string | undefined>): void {
  const ins = inputs.filter((x): x is string => x !== undefined && x !== '' && x !== '-');
  for (const o of outputs) if (o !== undefined) checkOutputTarget(o, 'file', { force: true, inputs: ins });
}
