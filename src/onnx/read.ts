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

/** Random access to a message's bytes, and the file to name in errors. */
interface Bytes {
  readonly file: string;
  readonly size: number;
  read(pos: number, len: number): Uint8Array;
}

/** A message already in memory (a field's payload read from the file). */
class MemoryBytes implements Bytes {
  readonly size: number;

  constructor(readonly file: string, private readonly b: Uint8Array) {
    this.size = b.length;
  }

  read(pos: number, len: number): Uint8Array {
    return this.b.subarray(pos, pos + len);
  }
}

class FileBytes implements Bytes {
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

const BAD = 'is not an ONNX model (malformed protobuf)';

function varint(b: Uint8Array, pos: number, file: string): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = pos; i < b.length && i < pos + 10; i++) {
    v += (b[i] & 127) * mul;
    mul *= 128;
    if ((b[i] & 128) === 0) return [v, i + 1];
  }
  throw new InputFileError(file, BAD);
}

const utf8 = new TextDecoder();

/** The key/value pairs of a length-delimited StringStringEntryProto body. */
function entry(m: Bytes): [string, string] {
  let key = '';
  let value = '';
  for (const x of fieldsIn(m, 0, m.size)) {
    if (x.wire !== 2) throw new InputFileError(m.file, BAD);
    const s = utf8.decode(m.read(x.start, x.len));
    if (x.field === F.StringStringEntryProto.key) key = s;
    else if (x.field === F.StringStringEntryProto.value) value = s;
  }
  return [key, value];
}

interface Field {
  field: number;
  wire: number;
  /** Payload position and length (length-delimited fields; 0 for others). */
  start: number;
  len: number;
}

/** The fields of the message in bytes [start, end) of `f`, read by their heads only. */
function* fieldsIn(f: Bytes, start: number, end: number): Generator<Field, void, void> {
  let pos = start;
  while (pos < end) {
    const head = f.read(pos, 20);
    const [tag, p] = varint(head, 0, f.file);
    const wire = tag & 7;
    const field = tag >> 3;
    if (wire === 0 || wire === 1 || wire === 5) {
      pos += wire === 0 ? varint(head, p, f.file)[1] : p + (wire === 5 ? 4 : 8);
      yield { field, wire, start: pos, len: 0 };
      continue;
    }
    if (wire !== 2) throw new InputFileError(f.file, BAD);
    const [len, q] = varint(head, p, f.file);
    if (pos + q + len > end) throw new InputFileError(f.file, `${BAD}: field ${field} runs past the end of the ${end === f.size ? 'file (truncated?)' : 'message holding it'}`);
    yield { field, wire, start: pos + q, len };
    pos += q + len;
  }
}

/** The model's metadata_props as a map; throws InputFileError when the file is no ONNX model. */
export function readOnnxMetadata(file: string): Map<string, string> {
  const f = new FileBytes(file);
  const out = new Map<string, string>();
  let sawGraph = false;
  try {
    for (const x of fieldsIn(f, 0, f.size)) {
      if (x.wire !== 2) continue;
      if (x.field === F.ModelProto.graph) sawGraph = true;
      if (x.field === F.ModelProto.metadata_props) {
        try {
          const [k, v] = entry(new MemoryBytes(file, f.read(x.start, x.len)));
          out.set(k, v);
        } catch {
          // One message for any damage inside an entry, as for the rest of the file.
          throw new InputFileError(file, BAD);
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
  const m = new MemoryBytes(file, b);
  const out: string[] = [];
  try {
    for (const x of fieldsIn(m, 0, m.size)) if (x.wire === 2 && x.field === want) out.push(utf8.decode(m.read(x.start, x.len)));
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
