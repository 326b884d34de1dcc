/**
 * Reading what the runtime needs from a .onnx file without a protobuf library: the model's
 * metadata_props (a walk over the top-level fields, skipping the graph by its length), and the
 * file with extra graph outputs (protobuf merges a repeated embedded message: appending a second
 * `graph` field holding only `output` entries adds them to the graph's outputs).
 */
import * as fs from 'fs';
import { InputFileError } from '../errors';
import { cannotRead, openInput } from '../input-file';
import * as F from './fields';
import { lenHeader, ProtoWriter } from './proto';
import { encodeValueInfo } from './write';

class FileBytes {
  readonly fd: number;
  readonly size: number;

  constructor(readonly file: string) {
    this.fd = openInput(file);
    try {
      this.size = fs.fstatSync(this.fd).size;
    } catch (e) {
      fs.closeSync(this.fd);
      throw cannotRead(file, e);
    }
  }

  read(pos: number, len: number): Uint8Array {
    const b = Buffer.alloc(Math.max(0, Math.min(len, this.size - pos)));
    let off = 0;
    while (off < b.length) {
      const n = fs.readSync(this.fd, b, off, b.length - off, pos + off);
      if (n === 0) break;
      off += n;
    }
    return b.subarray(0, off);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function varint(b: Uint8Array, pos: number, what: () => string): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = pos; i < b.length && i < pos + 10; i++) {
    v += (b[i] & 127) * mul;
    mul *= 128;
    if ((b[i] & 128) === 0) return [v, i + 1];
  }
  throw new Error(what());
}

const utf8 = new TextDecoder();

/** The key/value pairs of a length-delimited StringStringEntryProto body. */
function entry(b: Uint8Array, bad: () => string): [string, string] {
  let key = '';
  let value = '';
  let p = 0;
  while (p < b.length) {
    const [tag, q] = varint(b, p, bad);
    if ((tag & 7) !== 2) throw new Error(bad());
    const [len, r] = varint(b, q, bad);
    const s = utf8.decode(b.subarray(r, r + len));
    if (tag >> 3 === F.StringStringEntryProto.key) key = s;
    else if (tag >> 3 === F.StringStringEntryProto.value) value = s;
    p = r + len;
  }
  return [key, value];
}

const BAD = 'is not an ONNX model (malformed protobuf)';

interface Field {
  field: number;
  wire: number;
  /** Payload position and length (length-delimited fields; 0 for others). */
  start: number;
  len: number;
}

/** The fields of the message in bytes [start, end) of the file, read by their heads only. */
function* fieldsIn(f: FileBytes, start: number, end: number): Generator<Field, void, void> {
  const bad = (): string => BAD;
  let pos = start;
  while (pos < end) {
    const head = f.read(pos, 20);
    let tag: number;
    let p: number;
    try {
      [tag, p] = varint(head, 0, bad);
    } catch {
      throw new InputFileError(f.file, BAD);
    }
    const wire = tag & 7;
    const field = tag >> 3;
    if (wire === 0) {
      try {
        pos += varint(head, p, bad)[1];
      } catch {
        throw new InputFileError(f.file, BAD);
      }
      yield { field, wire, start: pos, len: 0 };
      continue;
    }
    if (wire === 5 || wire === 1) {
      pos += p + (wire === 5 ? 4 : 8);
      yield { field, wire, start: pos, len: 0 };
      continue;
    }
    if (wire !== 2) throw new InputFileError(f.file, BAD);
    let len: number;
    let q: number;
    try {
      [len, q] = varint(head, p, bad);
    } catch {
      throw new InputFileError(f.file, BAD);
    }
    if (pos + q + len > end) throw new InputFileError(f.file, `${BAD}: field ${field} runs past the end of the ${end === f.size ? 'file (truncated?)' : 'message holding it'}`);
    yield { field, wire, start: pos + q, len };
    pos += q + len;
  }
}

/** The model's metadata_props as a map; throws InputFileError when the file is no ONNX model. */
export function readOnnxMetadata(file: string): Map<string, string> {
  const f = new FileBytes(file);
  const bad = (): string => BAD;
  const out = new Map<string, string>();
  let sawGraph = false;
  try {
    for (const x of fieldsIn(f, 0, f.size)) {
      if (x.wire !== 2) continue;
      if (x.field === F.ModelProto.graph) sawGraph = true;
      if (x.field === F.ModelProto.metadata_props) {
        try {
          const [k, v] = entry(f.read(x.start, x.len), bad);
          out.set(k, v);
        } catch {
          throw new InputFileError(file, bad());
        }
      }
    }
  } finally {
    f.close();
  }
  if (!sawGraph) throw new InputFileError(file, 'is not an ONNX model (no graph)');
  return out;
}

/** The length-delimited fields numbered `want` of an in-memory message body, as strings. */
function stringsOf(b: Uint8Array, want: number, file: string): string[] {
  const bad = (): string => BAD;
  const out: string[] = [];
  let p = 0;
  try {
    while (p < b.length) {
      const [tag, q] = varint(b, p, bad);
      const wire = tag & 7;
      if (wire === 0) p = varint(b, q, bad)[1];
      else if (wire === 1 || wire === 5) p = q + (wire === 1 ? 8 : 4);
      else if (wire === 2) {
        const [len, r] = varint(b, q, bad);
        if (tag >> 3 === want) out.push(utf8.decode(b.subarray(r, r + len)));
        p = r + len;
      } else throw new Error(bad());
    }
  } catch {
    throw new InputFileError(file, BAD);
  }
  return out;
}

/**
 * The values a session of this model can hand out: the graph's inputs and every node's outputs
 * (read from the nodes only; the initializers are skipped by their length). For checking the
 * blobs asked of a model that has no senet-caffe blob map.
 */
export function readOnnxValueNames(file: string): Set<string> {
  const f = new FileBytes(file);
  const names = new Set<string>();
  try {
    for (const top of fieldsIn(f, 0, f.size)) {
      if (top.wire !== 2 || top.field !== F.ModelProto.graph) continue;
      for (const g of fieldsIn(f, top.start, top.start + top.len)) {
        if (g.wire !== 2) continue;
        if (g.field === F.GraphProto.node) stringsOf(f.read(g.start, g.len), F.NodeProto.output, file).forEach((n) => names.add(n));
        else if (g.field === F.GraphProto.input) stringsOf(f.read(g.start, g.len), F.ValueInfoProto.name, file).forEach((n) => names.add(n));
      }
    }
  } finally {
    f.close();
  }
  return names;
}

/**
 * The file's bytes with `names` added as (float) graph outputs, read into one buffer sized for
 * both (a big model is not copied twice).
 */
export function onnxBytesWithOutputs(file: string, names: readonly string[]): Uint8Array {
  const extra = new ProtoWriter();
  for (const n of names) extra.bytes(F.GraphProto.output, encodeValueInfo({ name: n }));
  const body = extra.finish();
  const tail = names.length === 0 ? new Uint8Array(0) : concat(lenHeader(F.ModelProto.graph, body.length), body);
  const f = new FileBytes(file);
  try {
    const out = new Uint8Array(f.size + tail.length);
    let off = 0;
    while (off < f.size) {
      const n = fs.readSync(f.fd, out, off, f.size - off, off);
      if (n === 0) throw new InputFileError(file, 'file shrank while reading');
      off += n;
    }
    out.set(tail, f.size);
    return out;
  } finally {
    f.close();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
