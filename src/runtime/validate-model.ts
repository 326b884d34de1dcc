/**
 * Checks a GraphModel folder's model.json before TF.js sees it: TF.js trusts the file and fails
 * deep inside (or opens any path a manifest names). Checked: the topology (nodes with unique
 * string names and ops, inputs naming nodes), the weights manifest (string shard paths that stay
 * inside the folder, weights with a known dtype and a shape of non-negative integers, every Const
 * node's weight present), and the signature's tensors. Each failure names model.json and what is
 * wrong with it.
 */
import * as path from 'path';
import { InputFileError } from '../errors';

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4 };
const MAX_DIM = 2 ** 31 - 1;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What the loader needs of a checked model.json. */
export interface CheckedManifest {
  /** Shard files, resolved inside the folder, in manifest order. */
  shardFiles: string[];
  /** Bytes the weights need. */
  weightBytes: number;
}

/** Throws an InputFileError naming `file` unless `json` is a GraphModel that TF.js can load safely. */
export function checkModelJson(json: unknown, file: string, dir: string): CheckedManifest {
  const bad = (what: string): InputFileError => new InputFileError(file, what);
  if (!isObject(json)) throw bad('not a JSON object');
  const topo = json.modelTopology;
  if (!isObject(topo)) throw bad('not a TF.js model.json (no modelTopology)');
  if (json.format !== undefined && json.format !== 'graph-model') throw bad(`format is '${String(json.format).slice(0, 40)}', expected 'graph-model'`);
  const nodes = topo.node;
  if (!Array.isArray(nodes)) throw bad('modelTopology.node is not a list of nodes');
  const names = new Set<string>();
  nodes.forEach((n, i) => {
    if (!isObject(n) || typeof n.name !== 'string' || n.name === '' || typeof n.op !== 'string' || n.op === '') {
      throw bad(`node #${i} has no name or no op`);
    }
    if (names.has(n.name)) throw bad(`node '${n.name}' appears twice`);
    if (Object.prototype.hasOwnProperty.call(Object.prototype, n.name) || n.name === '__proto__') {
      throw bad(`node '${n.name}' has a name TF.js cannot hold (a JavaScript object key)`);
    }
    if (n.attr !== undefined && !isObject(n.attr)) throw bad(`node '${n.name}': attr is not an object`);
    for (const [k, v] of Object.entries(isObject(n.attr) ? n.attr : {})) {
      if (!isObject(v) || Object.keys(v).length === 0) throw bad(`node '${n.name}': attribute '${k}' is empty`);
    }
    names.add(n.name);
  });
  nodes.forEach((n: Record<string, unknown>) => {
    if (n.input === undefined) return;
    if (!Array.isArray(n.input) || n.input.some((x) => typeof x !== 'string')) throw bad(`node '${String(n.name)}': input is not a list of names`);
    for (const inp of n.input as string[]) {
      const src = inp.replace(/^\^/, '').split(':')[0];
      if (!names.has(src)) throw bad(`node '${String(n.name)}' reads '${inp}', which is no node of the graph`);
    }
  });

  checkAcyclic(nodes as Array<{ name: string; input?: string[] }>, bad);

  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw bad('weightsManifest is not a list');
  const shardFiles: string[] = [];
  const weightNames = new Set<string>();
  let weightBytes = 0;
  const root = path.resolve(dir);
  manifest.forEach((g, gi) => {
    if (!isObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) throw bad(`weightsManifest[${gi}] needs 'paths' and 'weights' lists`);
    for (const p of g.paths) {
      if (typeof p !== 'string' || p === '') throw bad(`weightsManifest[${gi}]: a shard path is not a file name`);
      const abs = path.resolve(root, p);
      const rel = path.relative(root, abs);
      // Shards live in the folder itself: nothing above it, no absolute paths, no subfolder tricks.
      if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || rel.includes(path.sep) || p.includes('\\')) {
        throw bad(`shard path '${p.slice(0, 100)}' leaves the model folder`);
      }
      shardFiles.push(abs);
    }
    g.weights.forEach((w: unknown, wi: number) => {
      if (!isObject(w) || typeof w.name !== 'string') throw bad(`weightsManifest[${gi}].weights[${wi}] has no name`);
      const dtype = w.dtype;
      if (typeof dtype !== 'string' || DTYPE_BYTES[dtype] === undefined) {
        throw bad(`weight '${w.name}': dtype '${String(dtype).slice(0, 40)}' is not one this project writes (float32, int32)`);
      }
      if (w.quantization !== undefined) throw bad(`weight '${w.name}': quantized weights are not supported`);
      if (!Array.isArray(w.shape) || w.shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_DIM)) {
        throw bad(`weight '${w.name}': shape ${JSON.stringify(w.shape)?.slice(0, 80)} is not a list of non-negative integers`);
      }
      const count = (w.shape as number[]).reduce((a, b) => a * b, 1);
      if (!Number.isSafeInteger(count * DTYPE_BYTES[dtype])) throw bad(`weight '${w.name}': shape [${w.shape}] is too large`);
      weightBytes += count * DTYPE_BYTES[dtype];
      if (weightNames.has(w.name)) throw bad(`weight '${w.name}' appears twice in the manifest`);
      weightNames.add(w.name);
    });
  });
  for (const n of nodes as Array<{ name: string; op: string }>) {
    // TF.js takes every constant's value from the weights (attr.value carries only dtype and shape).
    if (n.op === 'Const' && !weightNames.has(n.name)) {
      throw bad(`constant '${n.name}' has no weight in the manifest`);
    }
  }
  const sig = json.signature;
  if (sig !== undefined) {
    if (!isObject(sig)) throw bad('signature is not an object');
    for (const side of ['inputs', 'outputs'] as const) {
      const entries = sig[side];
      if (entries === undefined) continue;
      if (!isObject(entries)) throw bad(`signature.${side} is not an object`);
      for (const [k, v] of Object.entries(entries)) {
        if (!isObject(v) || typeof v.name !== 'string' || !names.has(v.name.split(':')[0])) throw bad(`signature ${side.slice(0, -1)} '${k}' names no node of the graph`);
      }
    }
  }
  return { shardFiles, weightBytes };
}

/** A graph whose nodes read each other in a circle has no order to run in (TF.js fails inside). */
function checkAcyclic(nodes: ReadonlyArray<{ name: string; input?: string[] }>, bad: (what: string) => InputFileError): void {
  const deps = new Map(nodes.map((n) => [n.name, (n.input ?? []).map((i) => i.replace(/^\^/, '').split(':')[0])]));
  const state = new Map<string, 1 | 2>(); // 1 on the path, 2 done
  for (const start of deps.keys()) {
    if (state.has(start)) continue;
    // Iterative depth-first search: a long chain must not exhaust the stack.
    const stack: Array<{ name: string; next: number }> = [{ name: start, next: 0 }];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const ins = deps.get(top.name)!;
      if (top.next >= ins.length) {
        state.set(top.name, 2);
        stack.pop();
        continue;
      }
      const d = ins[top.next++];
      const s = state.get(d);
      if (s === 1) throw bad(`node '${top.name}' reads '${d}', which depends on '${top.name}' itself (a cycle)`);
      if (s === undefined) {
        state.set(d, 1);
        stack.push({ name: d, next: 0 });
      }
    }
  }
}
