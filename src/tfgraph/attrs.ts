/**
 * The JSON form of TensorFlow's GraphDef pieces, as tfjs-converter's executor reads them from
 * model.json (`modelTopology.node[]`). This is protobuf's canonical JSON mapping: int64 values
 * are decimal strings, floats are JSON numbers, `bytes` (AttrValue.s) are base64.
 */

/** TF DataType enum names the builder emits. */
export type TfDataType = 'DT_FLOAT' | 'DT_INT32';

/** Element types the builder supports, in tfjs spelling. */
export type DType = 'float32' | 'int32';

export interface TensorShapeJson {
  /** Sizes as decimal strings; "-1" is an unknown dimension. Absent for a scalar. */
  dim?: { size: string }[];
  unknownRank?: boolean;
}

export interface TensorJson {
  dtype: TfDataType;
  tensorShape: TensorShapeJson;
}

export interface AttrListJson {
  i?: string[];
  f?: number[];
  s?: string[];
  b?: boolean[];
  type?: TfDataType[];
}

/** One AttrValue; exactly one key is present. */
export type AttrValue =
  | { type: TfDataType }
  | { s: string }
  | { i: string }
  | { f: number }
  | { b: boolean }
  | { shape: TensorShapeJson }
  | { tensor: TensorJson }
  | { list: AttrListJson };

export interface NodeDefJson {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}

export function tfDataType(dtype: DType): TfDataType {
  return dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
}

export function shapeJson(shape: readonly number[]): TensorShapeJson {
  return shape.length === 0 ? {} : { dim: shape.map((d) => ({ size: String(d) })) };
}

export const attr = {
  dtype: (d: DType): AttrValue => ({ type: tfDataType(d) }),
  /** A string attribute; the executor decodes AttrValue.s from base64. */
  str: (s: string): AttrValue => ({ s: Buffer.from(s, 'utf8').toString('base64') }),
  int: (i: number): AttrValue => ({ i: String(i) }),
  /** Floats must stay JSON numbers: the executor parseInt()s string values. */
  float: (f: number): AttrValue => ({ f }),
  bool: (b: boolean): AttrValue => ({ b }),
  ints: (xs: readonly number[]): AttrValue => ({ list: { i: xs.map((x) => String(x)) } }),
  /** A list of strings, each base64 like AttrValue.s. */
  strs: (xs: readonly string[]): AttrValue => ({ list: { s: xs.map((x) => Buffer.from(x, 'utf8').toString('base64')) } }),
  shape: (shape: readonly number[]): AttrValue => ({ shape: shapeJson(shape) }),
  tensor: (d: DType, shape: readonly number[]): AttrValue => ({
    tensor: { dtype: tfDataType(d), tensorShape: shapeJson(shape) },
  }),
};
