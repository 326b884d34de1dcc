/**
 * The op tables that the installed @tensorflow/tfjs-converter maps graph nodes with
 * (dist/operations/op_list/*.js), read as data, and a check of one GraphDef node against them:
 * its op name, every attribute name and value kind, and its input count. A node the tables do not
 * describe would load into stock tf.loadGraphModel wrongly or not at all.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import type { AttrValue, NodeDefJson } from '../../src/tfgraph/attrs';

export interface OpInputDef {
  start: number;
  end?: number;
  name: string;
  type: string;
  defaultValue?: unknown;
}
export interface OpAttrDef {
  tfName: string;
  name: string;
  type: string;
  defaultValue?: unknown;
  notSupported?: boolean;
}
export interface OpDef {
  tfOpName: string;
  category: string;
  inputs?: OpInputDef[];
  attrs?: OpAttrDef[];
}

export const OP_LIST_DIR = path.join(path.dirname(require.resolve('@tensorflow/tfjs-converter/package.json')), 'dist', 'operations', 'op_list');

/** Every op of the installed tfjs-converter's tables, by TF op name. */
export function loadOpList(): Map<string, OpDef> {
  const ops = new Map<string, OpDef>();
  for (const f of fs.readdirSync(OP_LIST_DIR).filter((n) => n.endsWith('.js'))) {
    // Each file is an ES module `export const json = [...]` of plain literals.
    const text = fs.readFileSync(path.join(OP_LIST_DIR, f), 'utf8');
    const body = text.replace(/export\s+const\s+json\s*=/, 'json =');
    if (body === text) throw new Error(`${f}: not an op list (no 'export const json =')`);
    const sandbox: { json?: OpDef[] } = {};
    vm.runInNewContext(body, sandbox, { filename: f });
    for (const op of sandbox.json ?? []) ops.set(op.tfOpName, op);
  }
  return ops;
}

/**
 * Attributes TensorFlow's op definitions carry that tfjs-converter does not read: the element and
 * index types it takes from the input tensors, and element counts it takes from the inputs. Each
 * is named for the ops it belongs to, so a misspelt or misplaced one still fails.
 */
const INFERRED_ATTRS: Readonly<Record<string, readonly string[]>> = {
  '*': ['T'],
  Const: ['dtype', 'value'], // read from the weights manifest, not through the op table
  Mean: ['Tidx'],
  Sum: ['Tidx'],
  Max: ['Tidx'],
  ConcatV2: ['Tidx'],
  Reshape: ['Tshape'],
  Transpose: ['Tperm'],
  SplitV: ['Tlen', 'num_split'],
  Split: ['num_split'],
  Slice: ['Index'],
  StridedSlice: ['Index'],
  AddN: ['N'],
};

/**
 * Attributes the tables list without a default that tfjs's executors never read, so a node may
 * leave them out: Conv2D's `useCudnnOnGpu` (spelt so in the table; TF's is use_cudnn_on_gpu,
 * default true).
 */
const UNREAD_REQUIRED: Readonly<Record<string, readonly string[]>> = {
  Conv2D: ['useCudnnOnGpu'],
};

/** What tfjs assumes for an attribute it marks notSupported and gives no default. */
const ASSUMED: Readonly<Record<string, (v: AttrValue) => boolean>> = {
  data_format: (v) => 's' in v && Buffer.from(v.s, 'base64').toString('utf8') === 'NHWC',
  T: (v) => 'type' in v && (v.type === 'DT_FLOAT' || v.type === 'DT_INT32'),
};

/** Whether the JSON AttrValue has the value kind the table's type names. */
function kindMatches(type: string, v: AttrValue): boolean {
  switch (type) {
    case 'number':
      return 'i' in v || 'f' in v;
    case 'number[]':
      return 'list' in v && (v.list.i !== undefined || v.list.f !== undefined || Object.keys(v.list).length === 0);
    case 'string':
      return 's' in v;
    case 'string[]':
      return 'list' in v && (v.list.s !== undefined || Object.keys(v.list).length === 0);
    case 'bool':
      return 'b' in v;
    case 'dtype':
      return 'type' in v;
    case 'shape':
      return 'shape' in v;
    case 'tensor':
      return 'tensor' in v;
    default:
      return false;
  }
}

/** The JSON value as tfjs decodes it, to compare with a table default. */
function decoded(v: AttrValue): unknown {
  if ('i' in v) return Number(v.i);
  if ('f' in v) return v.f;
  if ('b' in v) return v.b;
  if ('s' in v) return Buffer.from(v.s, 'base64').toString('utf8');
  if ('list' in v) {
    if (v.list.i) return v.list.i.map(Number);
    if (v.list.f) return v.list.f;
    if (v.list.s) return v.list.s.map((s) => Buffer.from(s, 'base64').toString('utf8'));
    return [];
  }
  return v;
}

/** Problems of one node against the tables (empty when it is fine). */
export function checkNode(node: NodeDefJson, ops: ReadonlyMap<string, OpDef>): string[] {
  const where = `node '${node.name}' (${node.op})`;
  const def = ops.get(node.op);
  if (def === undefined) return [`${where}: op '${node.op}' is not in tfjs-converter's op lists`];
  const problems: string[] = [];
  const attrs = node.attr ?? {};
  const inferred = new Set([...INFERRED_ATTRS['*'], ...(INFERRED_ATTRS[node.op] ?? [])]);
  for (const [name, value] of Object.entries(attrs)) {
    const a = def.attrs?.find((x) => x.tfName === name);
    if (a === undefined) {
      if (!inferred.has(name)) problems.push(`${where}: attribute '${name}' is not in the op list (known: ${(def.attrs ?? []).map((x) => x.tfName).join(', ') || 'none'})`);
      continue;
    }
    if (!kindMatches(a.type, value)) {
      problems.push(`${where}: attribute '${name}' should be a ${a.type}, got ${JSON.stringify(value)}`);
      continue;
    }
    if (a.notSupported) {
      // tfjs ignores it: only what tfjs assumes anyway may be written.
      const ok = a.defaultValue !== undefined ? JSON.stringify(decoded(value)) === JSON.stringify(a.defaultValue) : ASSUMED[name]?.(value) === true;
      if (!ok) problems.push(`${where}: attribute '${name}' = ${JSON.stringify(decoded(value))} is ignored by tfjs (notSupported)`);
    }
  }
  for (const a of def.attrs ?? []) {
    if (a.notSupported || a.defaultValue !== undefined || a.tfName in attrs) continue;
    if (UNREAD_REQUIRED[node.op]?.includes(a.tfName)) continue;
    problems.push(`${where}: attribute '${a.tfName}' has no default and is missing`);
  }
  const n = node.input?.length ?? 0;
  const inputs = def.inputs ?? [];
  const variadic = inputs.some((i) => i.end !== undefined);
  // Inputs from the front (start >= 0), a run of tensors (start..end), inputs from the back (start < 0).
  let min = 0;
  for (const i of inputs) {
    if (i.start < 0) continue;
    if (i.end === undefined && i.defaultValue === undefined) min = Math.max(min, i.start + 1);
    if (i.end !== undefined && i.end < 0) min = Math.max(min, i.start + 1); // at least one before the tail
  }
  min += inputs.filter((i) => i.start < 0).length;
  if (n < min || (!variadic && n > inputs.length)) {
    problems.push(`${where}: ${n} inputs, the op list reads ${variadic ? `at least ${min}` : min === inputs.length ? `${min}` : `${min}..${inputs.length}`}`);
  }
  if ('num_args' in attrs && 'i' in attrs.num_args) {
    const fixed = inputs.filter((i) => i.end === undefined).length;
    if (Number(attrs.num_args.i) !== n - fixed) problems.push(`${where}: num_args ${attrs.num_args.i} but ${n - fixed} extra inputs`);
  }
  return problems;
}
