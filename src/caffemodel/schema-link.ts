/**
 * The only place in src/caffemodel that touches the protobufjs schema: decoding and encoding the
 * small (blob-free) messages as plain objects, and wire-type checks driven by reflection.
 */
import * as protobuf from 'protobufjs';
import { caffeType, decodeMessage, encodeMessage } from '../schema';
import { WireError, WireReader, WireType, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './wire';

export function messageType(name: string): protobuf.Type {
  return caffeType(name);
}

/** Decodes a (small) message to a plain object: snake_case keys, enum names, int64 as numbers. */
export function decodePlain<T>(typeName: string, bytes: Uint8Array, source?: string): T {
  return decodeMessage(typeName, bytes, source) as unknown as T;
}

/** Encodes a plain object to bytes; protobufjs writes fields in field-number order. */
export function encodePlain(typeName: string, obj: object): Uint8Array {
  return encodeMessage(typeName, obj as { [field: string]: unknown });
}

const VARINT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const FIXED32_TYPES = new Set(['float', 'fixed32', 'sfixed32']);
const FIXED64_TYPES = new Set(['double', 'fixed64', 'sfixed64']);

function scalarWireType(field: protobuf.Field): WireType {
  if (field.resolvedType instanceof protobuf.Enum) return WIRE_VARINT;
  if (field.resolvedType instanceof protobuf.Type) return WIRE_LEN;
  if (VARINT_TYPES.has(field.type)) return WIRE_VARINT;
  if (FIXED32_TYPES.has(field.type)) return WIRE_FIXED32;
  if (FIXED64_TYPES.has(field.type)) return WIRE_FIXED64;
  return WIRE_LEN; // string, bytes
}

/**
 * Checks that every known field in buf[start,end) has a wire type the schema allows, recursing into
 * sub-messages. protobufjs trusts wire types, so without this, garbage decodes into nonsense instead
 * of failing.
 */
export function checkWireTypes(typeName: string, buf: Uint8Array, start: number, end: number): void {
  checkType(messageType(typeName), new WireReader(buf, start, end), 0);
}

function checkType(type: protobuf.Type, r: WireReader, depth: number): void {
  if (depth > 64) throw new WireError(r.pos, 'messages nested too deeply');
  while (!r.eof()) {
    const h = r.tag();
    const field = type.fieldsById[h.field];
    if (!field) {
      r.skip(h);
      continue;
    }
    const want = scalarWireType(field);
    const packable = field.repeated && want !== WIRE_LEN;
    if (h.wireType !== want && !(packable && h.wireType === WIRE_LEN)) {
      throw new WireError(
        h.start,
        `field '${field.name}' (${h.field}) of ${type.name} has the wrong wire type ${h.wireType} (expected ${want})`,
      );
    }
    if (field.resolvedType instanceof protobuf.Type) {
      const span = r.lengthDelimited(`${type.name}.${field.name}`);
      checkType(field.resolvedType, r.sub(span), depth + 1);
    } else if (h.wireType === WIRE_LEN && want !== WIRE_LEN) {
      // Packed scalars: the payload must hold whole values.
      const span = r.lengthDelimited(`packed ${type.name}.${field.name}`);
      const inner = r.sub(span);
      while (!inner.eof()) {
        if (want === WIRE_VARINT) inner.varint(`${type.name}.${field.name}`);
        else if (want === WIRE_FIXED32) inner.fixed32Offset(`${type.name}.${field.name}`);
        else inner.fixed64Offset(`${type.name}.${field.name}`);
      }
    } else {
      r.skip(h);
    }
  }
}
