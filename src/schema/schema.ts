/**
 * The Caffe schema at run time: proto/caffe.proto loaded with protobufjs reflection, plus the
 * conversion between the project's plain message objects and the protobuf wire format.
 *
 * Plain objects (see docs/design.md): snake_case keys as in caffe.proto, enum values as their names,
 * 64-bit integers as JS numbers, bytes as Uint8Array, repeated fields as arrays (typed arrays are
 * accepted for numeric repeated fields when encoding). A field is set exactly when its key is
 * present and not undefined; decoding never fills in defaults.
 */
import * as path from 'path';
import * as protobuf from 'protobufjs';
import { InputFileError } from '../errors';
import type { CaffeMessageName, CaffeMessages } from './caffe.generated';

/** proto/caffe.proto; the same relative location from src/schema (ts-jest) and dist/schema. */
export const CAFFE_PROTO_PATH = path.resolve(__dirname, '..', '..', 'proto', 'caffe.proto');

/** The proto package every Caffe name lives in. */
export const CAFFE_PACKAGE = 'caffe';

let cachedRoot: protobuf.Root | undefined;

/** The parsed and fully resolved schema (loaded once, field names kept in snake_case). */
export function caffeRoot(): protobuf.Root {
  if (cachedRoot === undefined) {
    const root = new protobuf.Root();
    root.loadSync(CAFFE_PROTO_PATH, { keepCase: true });
    root.resolveAll();
    cachedRoot = root;
  }
  return cachedRoot;
}

function qualify(name: string): string {
  return name.startsWith(`${CAFFE_PACKAGE}.`) ? name : `${CAFFE_PACKAGE}.${name}`;
}

/**
 * A message type by name, with or without the `caffe.` prefix ('NetParameter', 'caffe.BlobProto').
 * Throws an Error naming the type for unknown names (a programming error, not a user error).
 */
export function caffeType(name: string): protobuf.Type {
  const found = caffeRoot().lookup(qualify(name));
  if (!(found instanceof protobuf.Type)) {
    throw new Error(`unknown Caffe message type '${name}' (not a message in proto/caffe.proto)`);
  }
  return found;
}

/**
 * An enum by name: top level ('Phase') or nested with dots ('PoolingParameter.PoolMethod',
 * 'V1LayerParameter.LayerType'); the `caffe.` prefix is optional.
 */
export function caffeEnum(name: string): protobuf.Enum {
  const found = caffeRoot().lookup(qualify(name));
  if (!(found instanceof protobuf.Enum)) {
    throw new Error(`unknown Caffe enum '${name}' (not an enum in proto/caffe.proto)`);
  }
  return found;
}

/** Names of an enum's values in declaration order. */
export function caffeEnumNames(name: string): string[] {
  return Object.keys(caffeEnum(name).values);
}

// --- plain object <-> wire --------------------------------------------------------------------

/** Options for protobufjs toObject that give the project's plain-object representation. */
export const PLAIN_OBJECT_OPTIONS: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: false,
  arrays: false,
  objects: false,
  oneofs: false,
};

/** A plain object as produced by decodeMessage and accepted by encodeMessage. */
export type PlainMessage = { [field: string]: unknown };

type MessageOf<K extends string> = K extends CaffeMessageName ? CaffeMessages[K] : PlainMessage;

/**
 * Decodes wire bytes into a plain message object. `source` names the input (a file path) for the
 * error raised on malformed bytes, which is an InputFileError.
 */
export function decodeMessage<K extends CaffeMessageName | string>(
  typeName: K,
  bytes: Uint8Array,
  source = '<bytes>',
): MessageOf<K> {
  const type = caffeType(typeName);
  let decoded: protobuf.Message;
  try {
    // Always the generic Reader: protobufjs's BufferReader (picked for Node Buffers) clamps a string
    // that runs past the end instead of throwing, so a truncated file would decode "successfully".
    decoded = type.decode(new protobuf.Reader(bytes));
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new InputFileError(source, `not a valid ${type.fullName.slice(1)} message (${detail})`);
  }
  const plain = type.toObject(decoded, PLAIN_OBJECT_OPTIONS) as PlainMessage;
  normalizeBytes(type, plain);
  return plain as MessageOf<K>;
}

/**
 * Encodes a plain message object to wire bytes. The object is checked first: unknown keys, unknown
 * enum names, missing required fields and values of the wrong type throw a TypeError whose message
 * gives the path to the offending value (e.g. `caffe.NetParameter.layer[3].pooling_param.pool`).
 */
export function encodeMessage<K extends CaffeMessageName | string>(typeName: K, message: MessageOf<K>): Uint8Array {
  const type = caffeType(typeName);
  const wireReady = toWireObject(type, message as unknown, type.fullName.slice(1));
  return type.encode(wireReady).finish();
}

// protobufjs hands out Node Buffers for bytes fields; the project promises plain Uint8Array views.
const bytesCarriers = new Map<protobuf.Type, boolean>();

function carriesBytes(type: protobuf.Type, visiting = new Set<protobuf.Type>()): boolean {
  const known = bytesCarriers.get(type);
  if (known !== undefined) return known;
  if (visiting.has(type)) return false;
  visiting.add(type);
  let result = false;
  for (const field of type.fieldsArray) {
    if (field.type === 'bytes') result = true;
    else if (field.resolvedType instanceof protobuf.Type && carriesBytes(field.resolvedType, visiting)) result = true;
  }
  visiting.delete(type);
  bytesCarriers.set(type, result);
  return result;
}

function normalizeBytes(type: protobuf.Type, obj: PlainMessage): void {
  if (!carriesBytes(type)) return;
  for (const field of type.fieldsArray) {
    const value = obj[field.name];
    if (value === undefined) continue;
    if (field.type === 'bytes') {
      const asView = (v: unknown): Uint8Array => {
        const u = v as Uint8Array;
        return Object.getPrototypeOf(u) === Uint8Array.prototype ? u : new Uint8Array(u.buffer, u.byteOffset, u.byteLength);
      };
      obj[field.name] = Array.isArray(value) ? value.map(asView) : asView(value);
    } else if (field.resolvedType instanceof protobuf.Type) {
      const sub = field.resolvedType;
      if (Array.isArray(value)) for (const v of value) normalizeBytes(sub, v as PlainMessage);
      else normalizeBytes(sub, value as PlainMessage);
    }
  }
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

function fail(where: string, what: string): never {
  throw new TypeError(`${where}: ${what}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function checkScalar(kind: string, value: unknown, where: string): void {
  switch (kind) {
    case 'double':
    case 'float':
      if (typeof value !== 'number') fail(where, `expected a number, got ${describe(value)}`);
      return;
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      if (!Number.isInteger(value) || (value as number) < INT32_MIN || (value as number) > INT32_MAX) {
        fail(where, `expected a 32-bit signed integer, got ${describe(value)}`);
      }
      return;
    case 'uint32':
    case 'fixed32':
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > UINT32_MAX) {
        fail(where, `expected a 32-bit unsigned integer, got ${describe(value)}`);
      }
      return;
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      if (!Number.isSafeInteger(value)) fail(where, `expected an integer number (safe 64-bit range), got ${describe(value)}`);
      return;
    case 'uint64':
    case 'fixed64':
      if (!Number.isSafeInteger(value) || (value as number) < 0) {
        fail(where, `expected a non-negative integer number, got ${describe(value)}`);
      }
      return;
    case 'bool':
      if (typeof value !== 'boolean') fail(where, `expected a boolean, got ${describe(value)}`);
      return;
    case 'string':
      if (typeof value !== 'string') fail(where, `expected a string, got ${describe(value)}`);
      return;
    case 'bytes':
      if (!(value instanceof Uint8Array)) fail(where, `expected a Uint8Array, got ${describe(value)}`);
      return;
    default:
      fail(where, `unsupported scalar type ${kind}`);
  }
}

function enumNumber(e: protobuf.Enum, value: unknown, where: string): number {
  if (typeof value === 'string') {
    const n = e.values[value];
    if (n === undefined) {
      fail(where, `'${value}' is not a value of ${e.fullName.slice(1)} (one of ${Object.keys(e.values).join(', ')})`);
    }
    return n;
  }
  // Numbers are accepted so that decoded messages carrying values unknown to our schema round-trip.
  if (Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX) return value as number;
  return fail(where, `expected a ${e.fullName.slice(1)} name, got ${describe(value)}`);
}

function isPlainObject(value: unknown): value is PlainMessage {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** Validates a plain message and returns the object protobufjs's encoder expects (enum numbers). */
function toWireObject(type: protobuf.Type, value: unknown, where: string): PlainMessage {
  if (!isPlainObject(value)) fail(where, `expected a ${type.fullName.slice(1)} object, got ${describe(value)}`);
  const out: PlainMessage = {};
  for (const key of Object.keys(value)) {
    if (value[key] !== undefined && type.fields[key] === undefined) {
      fail(`${where}.${key}`, `${type.fullName.slice(1)} has no field '${key}'`);
    }
  }
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    const at = `${where}.${field.name}`;
    if (v === undefined) {
      if (field.required) fail(at, 'required field is missing');
      continue;
    }
    if (field.repeated) {
      if (ArrayBuffer.isView(v) && !(v instanceof DataView) && field.resolvedType === null && field.type !== 'bytes' && field.type !== 'string' && field.type !== 'bool') {
        // Numeric payloads (blob data) stay typed arrays: the encoder iterates them directly.
        if (!(v instanceof Float32Array || v instanceof Float64Array)) {
          for (let i = 0; i < (v as unknown as ArrayLike<number>).length; i++) {
            checkScalar(field.type, (v as unknown as ArrayLike<number>)[i], `${at}[${i}]`);
          }
        } else if (field.type !== 'float' && field.type !== 'double') {
          fail(at, `a ${v.constructor.name} cannot hold ${field.type} values`);
        }
        out[field.name] = v;
        continue;
      }
      if (!Array.isArray(v)) fail(at, `expected an array (repeated field), got ${describe(v)}`);
      out[field.name] = v.map((item, i) => convertOne(field, item, `${at}[${i}]`));
    } else {
      out[field.name] = convertOne(field, v, at);
    }
  }
  return out;
}

function convertOne(field: protobuf.Field, value: unknown, where: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return toWireObject(resolved, value, where);
  if (resolved instanceof protobuf.Enum) return enumNumber(resolved, value, where);
  checkScalar(field.type, value, where);
  return value;
}
