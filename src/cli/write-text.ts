import { INPUT_LIMITS, readStdinInput } from '../input-file';

/** Reads all of standard input (a prototxt) as bytes, up to the text cap. */
export function readStdin(): Uint8Array {
  return readStdinInput(INPUT_LIMITS.text, 'a prototxt');
}
