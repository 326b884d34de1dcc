/**
 * An ONNX graph under construction: nodes in topological order, initializers (float weights,
 * possibly WeightSources that produce their values only when the file is written) and the
 * graph's inputs and outputs. Names are unique; `fresh` derives one from a base.
 */
import type { WeightSource } from '../tfgraph';

/** An attribute value: int, float, string, or lists of ints or floats. */
export type OnnxAttr =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] };

export interface OnnxNode {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, OnnxAttr>>;
}

export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | WeightSource;
}

/** A dimension: a size, or a symbolic name (the free batch). */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  readonly name: string;
  /** Absent: type only (element type float, shape unknown). */
  readonly dims?: readonly OnnxDim[];
}

export const int = (i: number): OnnxAttr => ({ i });
export const float = (f: number): OnnxAttr => ({ f });
export const ints = (v: readonly number[]): OnnxAttr => ({ ints: v });

export function isWeightSourceData(d: OnnxInitializer['data']): d is WeightSource {
  return !(d instanceof Float32Array) && !(d instanceof BigInt64Array);
}

/** Bytes of an initializer's raw_data. */
export function initializerBytes(t: OnnxInitializer): number {
  return isWeightSourceData(t.data) ? t.data.length * 4 : t.data.byteLength;
}

export class OnnxGraph {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  private readonly names = new Set<string>();
  /** Names promised to later values (the Caffe blob names): `fresh` avoids them. */
  private readonly reserved = new Set<string>();

  constructor(readonly name = 'graph') {}

  has(name: string): boolean {
    return this.names.has(name);
  }

  reserve(names: Iterable<string>): void {
    for (const n of names) this.reserved.add(n);
  }

  /** `base`, or `base_1`, `base_2`, ... : a name neither used nor reserved. */
  fresh(base: string): string {
    let n = base;
    for (let i = 1; this.names.has(n) || this.reserved.has(n); i++) n = `${base}_${i}`;
    return n;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`internal: ONNX value name '${name}' used twice`);
    this.names.add(name);
    return name;
  }

  input(name: string, dims: readonly OnnxDim[]): string {
    this.inputs.push({ name: this.claim(name), dims: [...dims] });
    return name;
  }

  output(name: string, dims?: readonly OnnxDim[]): void {
    if (!this.names.has(name)) throw new Error(`internal: graph output '${name}' is no value of the graph`);
    this.outputs.push(dims === undefined ? { name } : { name, dims: [...dims] });
  }

  /** One node with one output, named `out`; returns `out`. */
  op(opType: string, inputs: readonly string[], out: string, attrs: Record<string, OnnxAttr> = {}): string {
    return this.opN(opType, inputs, [out], attrs)[0];
  }

  /** One node with several outputs; the node is named after its first output. */
  opN(opType: string, inputs: readonly string[], outs: readonly string[], attrs: Record<string, OnnxAttr> = {}): string[] {
    for (const i of inputs) if (i !== '' && !this.names.has(i)) throw new Error(`internal: ONNX node input '${i}' is not defined yet`);
    outs.forEach((o) => this.claim(o));
    this.nodes.push({ opType, name: outs[0], inputs: [...inputs], outputs: [...outs], attrs });
    return [...outs];
  }

  /** A float initializer (weights, or a constant operand). */
  floatConst(name: string, data: Float32Array | WeightSource | readonly number[], dims: readonly number[]): string {
    const d = data instanceof Float32Array || !Array.isArray(data) ? (data as Float32Array | WeightSource) : Float32Array.from(data as readonly number[]);
    const n = dims.reduce((a, b) => a * b, 1);
    const len = d instanceof Float32Array ? d.length : d.length;
    if (len !== n) throw new Error(`internal: initializer '${name}' has ${len} values for dims [${dims.join(', ')}]`);
    this.initializers.push({ name: this.claim(name), dims: [...dims], data: d });
    return name;
  }

  /** An int64 initializer (shapes, split sizes, pads). */
  int64Const(name: string, values: readonly number[]): string {
    this.initializers.push({ name: this.claim(name), dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) });
    return name;
  }
}
