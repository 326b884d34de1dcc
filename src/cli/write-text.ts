import * as fs from 'fs';
import { InputFileError } from '../errors';

/** Reads all of standard input as bytes. */
export function readStdin(): Uint8Array {
  try {
    return fs.readFileSync(0);
  } catch (e) {
    throw new InputFileError('<stdin>', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
