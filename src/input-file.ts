/**
 * Reading input files, with one wording for every failure (`FILE: cannot read: no such file or
 * folder (ENOENT)`) and a size cap: a regular file is refused when larger than the cap, and a
 * stream (stdin, a pipe, a device such as /dev/zero) is read only up to it, so no input can make
 * the process grow without bound.
 */
import * as fs from 'fs';
import { InputFileError } from './errors';

const MiB = 1024 * 1024;

/** Caps by kind of input. Text formats are small; binary ones hold weights or images. */
export const INPUT_LIMITS = {
  /** prototxt, model.json, label and image lists: the largest real ones are a few MB. */
  text: 64 * MiB,
  /** .npy/.npz and other binary inputs read whole (Node's single-buffer limit is 2 GiB). */
  binary: 2 * 1024 * MiB - 1,
  /** Binary inputs arriving as a stream, where nothing bounds them but this. */
  stream: 256 * MiB,
} as const;

/** What an errno means, as every "cannot read" message says it. */
export function readErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const meaning: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'is a folder',
    ENOTDIR: 'a part of the path is not a folder',
    ELOOP: 'too many symbolic links',
    EIO: 'input/output error',
    ENAMETOOLONG: 'the name is too long',
    EMFILE: 'too many open files',
    ERR_FS_FILE_TOO_LARGE: 'too large to read at once (over 2 GiB)',
  };
  if (code === undefined) return e instanceof Error ? e.message : String(e);
  return meaning[code] !== undefined ? `${meaning[code]} (${code})` : code;
}

/** The InputFileError for a failed open or read of `file`. */
export function cannotRead(file: string, e: unknown): InputFileError {
  return new InputFileError(file, `cannot read: ${readErrorText(e)}`);
}

function human(bytes: number): string {
  return bytes >= MiB ? `${Math.round(bytes / MiB)} MiB` : `${bytes} bytes`;
}

/** Reads from `fd` until end of input, failing past `limit` bytes. */
function readStream(fd: number, file: string, limit: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // A non-blocking pipe with nothing yet: wait a little, without spinning.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === 'EOF') break;
      throw cannotRead(file, e);
    }
    if (n === 0) break;
    total += n;
    if (total > limit) throw new InputFileError(file, `more than ${human(limit)} of input, the most this command reads from a stream`);
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
  return Buffer.concat(chunks, total);
}

/** A descriptor of `file` open for reading; a failure is the user's: an InputFileError saying why. */
export function openInput(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (e) {
    throw cannotRead(file, e);
  }
}

/**
 * The bytes of `file` (a path, or fd 0 for stdin named `<stdin>`): refused when a folder or larger
 * than `limit`; a stream is read up to `limit`. `what` names the expected content in messages.
 */
export function readInputFile(file: string, limit: number, what: string, streamLimit = limit): Buffer {
  const fd = openInput(file);
  try {
    return readOpen(fd, file, limit, what, streamLimit);
  } finally {
    fs.closeSync(fd);
  }
}

/** readInputFile for standard input. */
export function readStdinInput(limit: number, what: string): Buffer {
  return readOpen(0, '<stdin>', limit, what, limit);
}

function readOpen(fd: number, file: string, limit: number, what: string, streamLimit: number): Buffer {
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch (e) {
    throw cannotRead(file, e);
  }
  if (st.isDirectory()) throw new InputFileError(file, `is a folder, expected ${what}`);
  if (!st.isFile()) return readStream(fd, file, streamLimit);
  if (st.size > limit) throw new InputFileError(file, `is ${human(st.size)}, more than the ${human(limit)} ${what} may have`);
  try {
    return fs.readFileSync(fd);
  } catch (e) {
    throw cannotRead(file, e);
  }
}
