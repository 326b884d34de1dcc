/**
 * The subset of onnx.proto (ONNX IR version 7, opset 13) this package writes and reads: field
 * numbers and enum values, as facts from the published schema. Every message is written with
 * these numbers only, so the whole dependency on the schema is this file.
 */

/** IR version of the files written (7 is the IR that opset 13 shipped with). */
export const IR_VERSION = 7;
/** The default-domain operator set the graphs use. */
export const OPSET = 13;

export const ModelProto = {
  ir_version: 1,
  producer_name: 2,
  producer_version: 3,
  doc_string: 6,
  graph: 7,
  opset_import: 8,
  metadata_props: 14,
} as const;

export const OperatorSetIdProto = { domain: 1, version: 2 } as const;

export const StringStringEntryProto = { key: 1, value: 2 } as const;

export const GraphProto = {
  node: 1,
  name: 2,
  initializer: 5,
  input: 11,
  output: 12,
} as const;

export const NodeProto = { input: 1, output: 2, name: 3, op_type: 4, attribute: 5 } as const;

export const AttributeProto = { name: 1, f: 2, i: 3, s: 4, floats: 7, ints: 8, type: 20 } as const;

/** AttributeProto.AttributeType. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export const TensorProto = { dims: 1, data_type: 2, name: 8, raw_data: 9 } as const;

/** TensorProto.DataType. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

export const ValueInfoProto = { name: 1, type: 2 } as const;
export const TypeProto = { tensor_type: 1 } as const;
export const TypeProtoTensor = { elem_type: 1, shape: 2 } as const;
export const TensorShapeProto = { dim: 1 } as const;
export const TensorShapeDimension = { dim_value: 1, dim_param: 2 } as const;
