/**
 * .npy and .npz I/O (numpy's format, versions 1-3). Our own small reader rather than npyjs,
 * because npyjs drops the byte order from the dtype, which would misread big-endian files
 * silently; here both byte orders are read and anything unsupported is a clear error.
 * Writing always produces little-endian C-order arrays, version 1.0 (2.0 if the header is huge).
 */
import { unzipSync, zipSync } from 'fflate';
import { writeFileAtomic, type WriteFileOptions } from '../atomic-write';
import { INPUT_LIMITS, readInputFile } from '../input-file';
import { InputFileError, SenetError } from '../errors';

/**
 * The file name or .npz key of a Caffe blob: '/' -> '__', as pycaffe dumps are usually saved (a '/'
 * would make a folder inside the zip). `senet run` writes and `senet parity` reads this form.
 */
export function blobFileKey(blob: string): string {
  return blob.replace(/\//g, '__');
}

export type NpyDType = 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'bool';

export type NpyData =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array;

export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  /** C-order elements; `bool` arrays are Uint8Array of 0/1; int64 is BigInt64Array. */
  data: NpyData;
}

interface DTypeInfo {
  dtype: NpyDType;
  bytes: number;
  make: (n: number) => NpyData;
  get: (v: DataView, off: number, little: boolean) => number | bigint;
}

// numpy type character + item size -> our dtype.
const DTYPES: Record<string, DTypeInfo> = {
  f4: { dtype: 'float32', bytes: 4, make: (n) => new Float32Array(n), get: (v, o, l) => v.getFloat32(o, l) },
  f8: { dtype: 'float64', bytes: 8, make: (n) => new Float64Array(n), get: (v, o, l) => v.getFloat64(o, l) },
  i1: { dtype: 'int8', bytes: 1, make: (n) => new Int8Array(n), get: (v, o) => v.getInt8(o) },
  i2: { dtype: 'int16', bytes: 2, make: (n) => new Int16Array(n), get: (v, o, l) => v.getInt16(o, l) },
  i4: { dtype: 'int32', bytes: 4, make: (n) => new Int32Array(n), get: (v, o, l) => v.getInt32(o, l) },
  i8: { dtype: 'int64', bytes: 8, make: (n) => new BigInt64Array(n), get: (v, o, l) => v.getBigInt64(o, l) },
  u1: { dtype: 'uint8', bytes: 1, make: (n) => new Uint8Array(n), get: (v, o) => v.getUint8(o) },
  u2: { dtype: 'uint16', bytes: 2, make: (n) => new Uint16Array(n), get: (v, o, l) => v.getUint16(o, l) },
  u4: { dtype: 'uint32', bytes: 4, make: (n) => new Uint32Array(n), get: (v, o, l) => v.getUint32(o, l) },
  b1: { dtype: 'bool', bytes: 1, make: (n) => new Uint8Array(n), get: (v, o) => v.getUint8(o) },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Parses one .npy payload; `source` names it in errors. */
export function parseNpy(bytes: Uint8Array, source = '<npy>'): NpyArray {
  const fail = (detail: string): never => {
    throw new InputFileError(source, detail);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (bad magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported .npy format version ${major}.${bytes[7]}`);
  }
  if (headerStart + headerLen > bytes.length) fail('truncated header');
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLen)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    return fail(`cannot parse .npy header: ${header.trim()}`);
  }
  if (fortran === 'True') fail('Fortran-order arrays are not supported (save with np.ascontiguousarray)');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`bad shape (${shapeText})`);
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  const info = m ? DTYPES[`${m[2]}${m[3]}`] : undefined;
  if (!m || !info) {
    return fail(`unsupported dtype '${descr}' (supported: float32/64, int8/16/32/64, uint8/16/32, bool)`);
  }
  const little = m[1] !== '>';
  const n = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  if (bytes.length - dataStart < n * info.bytes) {
    fail(`truncated data: shape (${shape}) of ${descr} needs ${n * info.bytes} bytes, file has ${bytes.length - dataStart}`);
  }
  const data = info.make(n);
  if (little && (bytes.byteOffset + dataStart) % info.bytes === 0) {
    // Fast path: a view of the same bytes (copied so callers own their array).
    const Ctor = data.constructor as new (b: ArrayBufferLike, o: number, n: number) => NpyData;
    data.set(new Ctor(bytes.buffer, bytes.byteOffset + dataStart, n) as never);
  } else {
    const set = data as unknown as { [i: number]: number | bigint };
    for (let i = 0; i < n; i++) set[i] = info.get(view, dataStart + i * info.bytes, little);
  }
  return { dtype: info.dtype, shape, data };
}

function descrOf(data: NpyData, dtype?: NpyDType): string {
  if (dtype === 'bool') {
    if (!(data instanceof Uint8Array)) throw new SenetError('bool arrays must be Uint8Array');
    return '|b1';
  }
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof BigInt64Array) return '<i8';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Uint32Array) return '<u4';
  throw new SenetError('unsupported array type for .npy');
}

/** Encodes a C-order array as .npy bytes. */
export function encodeNpy(arr: { data: NpyData; shape: readonly number[]; dtype?: NpyDType }): Uint8Array {
  const n = arr.shape.reduce((a, b) => a * b, 1);
  if (n !== arr.data.length) throw new SenetError(`array has ${arr.data.length} values but shape [${arr.shape}]`);
  const descr = descrOf(arr.data, arr.dtype);
  const shapeText = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const v1 = header.length + 11 < 65536;
  const pre = v1 ? 10 : 12;
  // Pad with spaces and end with '\n' so the data starts at a multiple of 64, as numpy does.
  header += ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(pre + header.length + arr.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (v1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), pre);
  // Typed arrays are host-endian; Node runs on little-endian hosts.
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), pre + header.length);
  return out;
}

function readBytes(file: string, what: string): Uint8Array {
  return readInputFile(file, INPUT_LIMITS.binary, what, INPUT_LIMITS.stream);
}


export function readNpy(file: string): NpyArray {
  return parseNpy(readBytes(file, 'an .npy file'), file);
}

export function writeNpy(file: string, arr: { data: NpyData; shape: readonly number[]; dtype?: NpyDType }, opts: WriteFileOptions = {}): void {
  writeFileAtomic(file, encodeNpy(arr), opts);
}

/** Parses an .npz archive (np.savez or np.savez_compressed); keys are the names without ".npy". */
export function parseNpz(bytes: Uint8Array, source = '<npz>'): Record<string, NpyArray> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new InputFileError(source, `not a valid .npz (zip) archive (${(e as Error).message})`);
  }
  const out: Record<string, NpyArray> = {};
  for (const [name, content] of Object.entries(files)) {
    if (!name.endsWith('.npy')) continue;
    out[name.slice(0, -4)] = parseNpy(content, `${source}:${name}`);
  }
  return out;
}

/** Encodes arrays as an .npz archive (stored like np.savez, or deflated like savez_compressed). */
export function encodeNpz(
  arrays: Record<string, { data: NpyData; shape: readonly number[]; dtype?: NpyDType }>,
  opts: { compress?: boolean } = {},
): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, arr] of Object.entries(arrays)) files[`${name}.npy`] = encodeNpy(arr);
  return zipSync(files, { level: opts.compress ? 6 : 0 });
}

export function readNpz(file: string): Record<string, NpyArray> {
  return parseNpz(readBytes(file, 'an .npz file'), file);
}

export function writeNpz(
  file: string,
  arrays: Record<string, { data: NpyData; shape: readonly number[]; dtype?: NpyDType }>,
  opts: { compress?: boolean } & WriteFileOptions = {},
): void {
  writeFileAtomic(file, encodeNpz(arrays, opts), opts);
}

/** Converts any numeric NpyArray to float32 (int64 via Number). */
export function toFloat32(arr: NpyArray): Float32Array {
  if (arr.data instanceof Float32Array) return arr.data;
  if (arr.data instanceof BigInt64Array) return Float32Array.from(arr.data, (v) => Number(v));
  return Float32Array.from(arr.data as ArrayLike<number>);
}
