/**
 * Writing an OnnxGraph as one .onnx file (a ModelProto), atomically. The weights are streamed:
 * every message size is computed first (the initializers' raw_data lengths are known without
 * their values), so the length-delimited graph can be written front to back, each weight
 * produced into one reused buffer (WeightSources) or written from its own memory. The model is
 * never held twice (SENet-154: 440 MB of weights).
 */
import * as fs from 'fs';
import { writeFileAtomicWith, writeFileAtomicWithSteps } from '../atomic-write';
import * as F from './fields';
import { initializerBytes, isWeightSourceData, type OnnxAttr, type OnnxGraph, type OnnxInitializer, type OnnxNode, type OnnxValueInfo } from './graph';
import { lenHeader, ProtoWriter } from './proto';

export interface WriteOnnxOptions {
  /** metadata_props, in order (keys unique). */
  metadata?: ReadonlyArray<readonly [string, string]>;
  producerName?: string;
  producerVersion?: string;
}

function attribute(name: string, a: OnnxAttr): ProtoWriter {
  const w = new ProtoWriter().string(F.AttributeProto.name, name);
  if ('i' in a) return w.int(F.AttributeProto.i, a.i).int(F.AttributeProto.type, F.AttributeType.INT);
  if ('f' in a) return w.float(F.AttributeProto.f, a.f).int(F.AttributeProto.type, F.AttributeType.FLOAT);
  if ('s' in a) return w.string(F.AttributeProto.s, a.s).int(F.AttributeProto.type, F.AttributeType.STRING);
  if ('ints' in a) return w.ints(F.AttributeProto.ints, a.ints).int(F.AttributeProto.type, F.AttributeType.INTS);
  return w.floats(F.AttributeProto.floats, a.floats).int(F.AttributeProto.type, F.AttributeType.FLOATS);
}

export function encodeNode(n: OnnxNode): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(F.NodeProto.input, i);
  for (const o of n.outputs) w.string(F.NodeProto.output, o);
  w.string(F.NodeProto.name, n.name).string(F.NodeProto.op_type, n.opType);
  for (const [k, a] of Object.entries(n.attrs)) w.message(F.NodeProto.attribute, attribute(k, a));
  return w.finish();
}

/** A float tensor's ValueInfoProto; the shape only when dims are given. */
export function encodeValueInfo(v: OnnxValueInfo): Uint8Array {
  const tensor = new ProtoWriter().int(F.TypeProtoTensor.elem_type, F.DataType.FLOAT);
  if (v.dims !== undefined) {
    const shape = new ProtoWriter();
    for (const d of v.dims) {
      const dim = typeof d === 'number' ? new ProtoWriter().int(F.TensorShapeDimension.dim_value, d) : new ProtoWriter().string(F.TensorShapeDimension.dim_param, d);
      shape.message(F.TensorShapeProto.dim, dim);
    }
    tensor.message(F.TypeProtoTensor.shape, shape);
  }
  const type = new ProtoWriter().message(F.TypeProto.tensor_type, tensor);
  return new ProtoWriter().string(F.ValueInfoProto.name, v.name).message(F.ValueInfoProto.type, type).finish();
}

/** An initializer's TensorProto without raw_data's value bytes: dims, type, name, raw_data's header. */
function initializerHead(t: OnnxInitializer): Uint8Array {
  const w = new ProtoWriter().ints(F.TensorProto.dims, t.dims);
  w.int(F.TensorProto.data_type, t.data instanceof BigInt64Array ? F.DataType.INT64 : F.DataType.FLOAT).string(F.TensorProto.name, t.name);
  const head = w.finish();
  const raw = lenHeader(F.TensorProto.raw_data, initializerBytes(t));
  const out = new Uint8Array(head.length + raw.length);
  out.set(head);
  out.set(raw, head.length);
  return out;
}

/** Sequential writes to a descriptor, small pieces gathered in one buffer. */
class FileSink {
  private readonly buf = Buffer.allocUnsafeSlow(1 << 20);
  private used = 0;

  constructor(private readonly fd: number) {}

  write(b: Uint8Array): void {
    if (b.length >= this.buf.length) {
      this.flush();
      this.writeAll(b);
      return;
    }
    if (this.used + b.length > this.buf.length) this.flush();
    this.buf.set(b, this.used);
    this.used += b.length;
  }

  flush(): void {
    this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private writeAll(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) off += fs.writeSync(this.fd, b, off, b.length - off);
  }
}

/** Writes the model to `file` atomically (temp file, then rename; an existing file is replaced). */
export function writeOnnxModel(file: string, g: OnnxGraph, opts: WriteOnnxOptions = {}): { bytes: number } {
  const { total, body } = onnxWriter(g, opts);
  writeFileAtomicWith(file, (fd) => {
    const steps = body(fd);
    while (steps.next().done !== true);
  });
  return { bytes: total };
}

/**
 * writeOnnxModel returning to the event loop after each initializer, so an interrupt during a
 * long write (SENet-154: seconds) removes the temp file and keeps the old one (see temp-files).
 */
export async function writeOnnxModelAsync(file: string, g: OnnxGraph, opts: WriteOnnxOptions = {}): Promise<{ bytes: number }> {
  const { total, body } = onnxWriter(g, opts);
  await writeFileAtomicWithSteps(file, body);
  return { bytes: total };
}

/** The file's size and its writer, one step per initializer. */
function onnxWriter(g: OnnxGraph, opts: WriteOnnxOptions): { total: number; body: (fd: number) => Generator<void, void, void> } {
  const nodes = g.nodes.map(encodeNode);
  const heads = g.initializers.map(initializerHead);
  const ins = g.inputs.map(encodeValueInfo);
  const outs = g.outputs.map(encodeValueInfo);
  const graphName = new ProtoWriter().string(F.GraphProto.name, g.name).finish();
  const field = (fieldNo: number, body: number): number => lenHeader(fieldNo, body).length + body;
  let graphLen = graphName.length;
  for (const n of nodes) graphLen += field(F.GraphProto.node, n.length);
  g.initializers.forEach((t, i) => (graphLen += field(F.GraphProto.initializer, heads[i].length + initializerBytes(t))));
  for (const v of ins) graphLen += field(F.GraphProto.input, v.length);
  for (const v of outs) graphLen += field(F.GraphProto.output, v.length);

  const model = new ProtoWriter()
    .int(F.ModelProto.ir_version, F.IR_VERSION)
    .string(F.ModelProto.producer_name, opts.producerName ?? 'senet-caffe')
    .string(F.ModelProto.producer_version, opts.producerVersion ?? '')
    .message(F.ModelProto.opset_import, new ProtoWriter().string(F.OperatorSetIdProto.domain, '').int(F.OperatorSetIdProto.version, F.OPSET));
  // Before the graph, so a reader finds the metadata without walking past the weights.
  for (const [k, v] of opts.metadata ?? []) {
    model.message(F.ModelProto.metadata_props, new ProtoWriter().string(F.StringStringEntryProto.key, k).string(F.StringStringEntryProto.value, v));
  }
  const modelHead = model.finish();
  const total = modelHead.length + field(F.ModelProto.graph, graphLen);

  let stage = new Float32Array(0);
  const body = function* (fd: number): Generator<void, void, void> {
    const sink = new FileSink(fd);
    sink.write(modelHead);
    sink.write(lenHeader(F.ModelProto.graph, graphLen));
    sink.write(graphName);
    for (const n of nodes) {
      sink.write(lenHeader(F.GraphProto.node, n.length));
      sink.write(n);
    }
    for (let i = 0; i < g.initializers.length; i++) {
      const t = g.initializers[i];
      sink.write(lenHeader(F.GraphProto.initializer, heads[i].length + initializerBytes(t)));
      sink.write(heads[i]);
      const d = t.data;
      if (isWeightSourceData(d)) {
        if (stage.length < d.length) stage = new Float32Array(d.length);
        const out = stage.subarray(0, d.length);
        d.writeInto(out);
        sink.write(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
      } else {
        // Typed arrays are host-endian; ONNX raw_data is little-endian, as every platform Node runs on.
        sink.write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      }
      yield;
    }
    for (const v of ins) {
      sink.write(lenHeader(F.GraphProto.input, v.length));
      sink.write(v);
    }
    for (const v of outs) {
      sink.write(lenHeader(F.GraphProto.output, v.length));
      sink.write(v);
    }
    sink.flush();
  };
  return { total, body };
}
