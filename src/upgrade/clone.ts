/**
 * Deep copy of plain message objects, so that the upgrade never mutates its input. Typed arrays
 * (blob payloads, bytes fields) are shared, not copied: they can be hundreds of megabytes and the
 * upgrade never writes to them.
 */
export function cloneMessage<T>(msg: T): T {
  return cloneValue(msg) as T;
}

function cloneValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) return v;
  if (Array.isArray(v)) return v.map(cloneValue);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x !== undefined) out[k] = cloneValue(x);
  }
  return out;
}

/** True when a proto2 optional field is set (key present and not undefined). */
export function has<T extends object>(msg: T | undefined, key: keyof T): boolean {
  return msg !== undefined && msg[key] !== undefined;
}
