/**
 * What the parser and printer need to know about a message type, taken from protobufjs reflection
 * once per Type and cached, so the schema (.proto) stays the only source of truth.
 */
import * as protobuf from 'protobufjs';

export type ScalarKind =
  | 'double'
  | 'float'
  | 'int32'
  | 'uint32'
  | 'sint32'
  | 'fixed32'
  | 'sfixed32'
  | 'int64'
  | 'uint64'
  | 'sint64'
  | 'fixed64'
  | 'sfixed64'
  | 'bool'
  | 'string'
  | 'bytes';

export type FieldInfo =
  | { name: string; id: number; repeated: boolean; kind: 'message'; type: protobuf.Type }
  | { name: string; id: number; repeated: boolean; kind: 'enum'; type: protobuf.Enum }
  | { name: string; id: number; repeated: boolean; kind: 'scalar'; scalar: ScalarKind };

export interface TypeInfo {
  /** Full name without the leading dot, e.g. `caffe.LayerParameter`. */
  name: string;
  byName: Map<string, FieldInfo>;
  /** Fields in field-number order (the printer's order). */
  ordered: FieldInfo[];
}

const SCALARS = new Set<string>([
  'double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32',
  'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'bool', 'string', 'bytes',
]);

/** Inclusive integer ranges per integer kind. */
export const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

const cache = new WeakMap<protobuf.Type, TypeInfo>();

export function typeName(t: protobuf.Type | protobuf.Enum): string {
  return t.fullName.startsWith('.') ? t.fullName.slice(1) : t.fullName;
}

export function typeInfo(type: protobuf.Type): TypeInfo {
  let info = cache.get(type);
  if (info) return info;
  const byName = new Map<string, FieldInfo>();
  for (const field of type.fieldsArray) {
    if (field.map) {
      throw new Error(`textformat: map field ${typeName(type)}.${field.name} is not supported`);
    }
    field.resolve();
    const repeated = field.repeated;
    let fi: FieldInfo;
    if (field.resolvedType instanceof protobuf.Type) {
      fi = { name: field.name, id: field.id, repeated, kind: 'message', type: field.resolvedType };
    } else if (field.resolvedType instanceof protobuf.Enum) {
      fi = { name: field.name, id: field.id, repeated, kind: 'enum', type: field.resolvedType };
    } else if (SCALARS.has(field.type)) {
      fi = { name: field.name, id: field.id, repeated, kind: 'scalar', scalar: field.type as ScalarKind };
    } else {
      throw new Error(`textformat: cannot resolve type '${field.type}' of ${typeName(type)}.${field.name}`);
    }
    byName.set(field.name, fi);
  }
  const ordered = [...byName.values()].sort((a, b) => a.id - b.id);
  info = { name: typeName(type), byName, ordered };
  cache.set(type, info);
  return info;
}

/** Enum value name for a number (first declared name when aliased), or undefined. */
export function enumNameOf(e: protobuf.Enum, n: number): string | undefined {
  for (const [name, v] of Object.entries(e.values)) if (v === n) return name;
  return undefined;
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n];
}

/** The closest candidate if it is plausibly a typo (case-insensitive match or small distance). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const lw = word.toLowerCase();
  for (const c of candidates) {
    // The distance is at least the length difference: skip hopeless candidates (a huge identifier costs nothing).
    if (Math.abs(c.length - word.length) > Math.max(1, Math.floor(Math.min(word.length, c.length) / 3))) continue;
    const d = c.toLowerCase() === lw ? 0 : editDistance(lw, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  return bestD <= Math.max(1, Math.floor(Math.min(word.length, best.length) / 3)) ? best : undefined;
}
