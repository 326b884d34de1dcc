'use strict';
/**
 * Seeded mutations of valid inputs, one family per kind of input the campaign used:
 * prototxt text, caffemodel bytes, .npy files, images and converted model folders. Every
 * mutation is a pure function of the PRNG, so a (seed, run) pair reproduces an input exactly.
 */

/** mulberry32: small, fast, good enough to pick mutations. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
  };
}

/** Names that are keys of every JavaScript object, and other names that break naive code. */
const NASTY_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__', 'isPrototypeOf', '', ' ', 'a/b', 'x:0', '^', '..', '../../etc/passwd'];
const NASTY_NUMBERS = ['0', '-1', '4294967296', '4294967297', '9007199254740993', '1e308', '-1e308', 'nan', 'inf', '-inf', '2147483648', '100001', '0x10', '1.5', '-0', '99999999999999999999999'];
const BIDI = ['\u202e', '\u2066', '\u200f', '\u0007', '\u001b[31m', '\r', '\u0000'];

// --- bytes -------------------------------------------------------------------------------------

function flipBytes(r, buf) {
  const out = Buffer.from(buf);
  const n = 1 + r.int(8);
  for (let i = 0; i < n && out.length > 0; i++) out[r.int(out.length)] ^= 1 << r.int(8);
  return out;
}
function truncate(r, buf) {
  return buf.subarray(0, r.int(buf.length + 1));
}
function insertRandom(r, buf) {
  const at = r.int(buf.length + 1);
  const junk = Buffer.alloc(1 + r.int(16));
  for (let i = 0; i < junk.length; i++) junk[i] = r.int(256);
  return Buffer.concat([buf.subarray(0, at), junk, buf.subarray(at)]);
}
function duplicateChunk(r, buf) {
  if (buf.length === 0) return buf;
  const a = r.int(buf.length);
  const b = a + r.int(Math.min(256, buf.length - a) + 1);
  const at = r.int(buf.length + 1);
  return Buffer.concat([buf.subarray(0, at), buf.subarray(a, b), buf.subarray(at)]);
}
function deleteChunk(r, buf) {
  if (buf.length === 0) return buf;
  const a = r.int(buf.length);
  const b = a + r.int(Math.min(64, buf.length - a) + 1);
  return Buffer.concat([buf.subarray(0, a), buf.subarray(b)]);
}
function overwriteWord(r, buf) {
  const out = Buffer.from(buf);
  if (out.length < 4) return out;
  const v = r.pick([0, 0xffffffff, 0x7fffffff, 0x80000000, 1, 0xffff]);
  out.writeUInt32LE(v >>> 0, r.int(out.length - 3));
  return out;
}
const BYTE_MUTATORS = { flipBytes, truncate, insertRandom, duplicateChunk, deleteChunk, overwriteWord };

// --- protobuf wire (caffemodels) ----------------------------------------------------------------

function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}
/** A layer field (100) holding nested start-groups, or an unclosed group, or a huge length. */
function wireBomb(r, buf) {
  const kind = r.int(4);
  if (kind === 0) {
    const depth = r.pick([200, 10000, 100000]);
    const open = Buffer.alloc(depth * 1, 0x0b); // field 1, start-group
    const close = Buffer.alloc(depth * 1, 0x0c); // field 1, end-group
    const body = Buffer.concat([open, close]);
    return Buffer.concat([buf, Buffer.from([0xa2, 0x06]), varint(body.length), body]);
  }
  if (kind === 1) return Buffer.concat([buf, Buffer.from([0xa2, 0x06]), varint(r.pick([2 ** 31, 2 ** 32 + 5, 2 ** 53]))]);
  if (kind === 2) return Buffer.concat([Buffer.alloc(r.pick([1000, 100000]), 0x0b), buf]);
  // a blob with a huge declared shape
  const shape = Buffer.concat([Buffer.from([0x08]), varint(r.pick([2 ** 32, 2 ** 40, 0])), Buffer.from([0x08]), varint(r.pick([2 ** 31, 3]))]);
  const blobShape = Buffer.concat([Buffer.from([0x3a]), varint(shape.length), shape]);
  const blob = Buffer.concat([blobShape]);
  const layer = Buffer.concat([Buffer.from([0x0a, 0x02, 0x66, 0x63, 0x3a]), varint(blob.length), blob]);
  return Buffer.concat([buf, Buffer.from([0xa2, 0x06]), varint(layer.length), layer]);
}

// --- prototxt text ------------------------------------------------------------------------------

function textMutate(r, text) {
  const kinds = ['name', 'number', 'deleteLine', 'duplicateLine', 'bytes', 'bidi', 'longName', 'longString', 'deepNest', 'dropBottom', 'swapLines', 'hugeIdent'];
  const kind = r.pick(kinds);
  const lines = text.split('\n');
  switch (kind) {
    case 'name': {
      const names = [...text.matchAll(/"([^"\n]*)"/g)].map((m) => m[1]);
      if (names.length === 0) return { kind, text };
      const victim = r.pick(names);
      const repl = r.pick(NASTY_NAMES);
      return { kind, text: text.split(`"${victim}"`).join(`"${repl}"`) };
    }
    case 'number': {
      const m = [...text.matchAll(/(:\s*)(-?\d+(\.\d+)?(e-?\d+)?)/g)];
      if (m.length === 0) return { kind, text };
      const hit = r.pick(m);
      const at = hit.index + hit[1].length;
      return { kind, text: text.slice(0, at) + r.pick(NASTY_NUMBERS) + text.slice(at + hit[2].length) };
    }
    case 'deleteLine':
      lines.splice(r.int(lines.length), 1 + r.int(3));
      return { kind, text: lines.join('\n') };
    case 'duplicateLine': {
      const i = r.int(lines.length);
      lines.splice(i, 0, ...lines.slice(i, i + 1 + r.int(8)));
      return { kind, text: lines.join('\n') };
    }
    case 'bytes':
      return { kind, bytes: BYTE_MUTATORS[r.pick(Object.keys(BYTE_MUTATORS))](r, Buffer.from(text)) };
    case 'bidi': {
      const at = r.int(text.length + 1);
      return { kind, text: text.slice(0, at) + r.pick(BIDI) + text.slice(at) };
    }
    case 'longName':
      return { kind, text: text.replace(/name: "[^"]*"/, `name: "${'n'.repeat(r.pick([300000, 1000000]))}"`) };
    case 'longString':
      return { kind, text: `${text}\nname: "${'\\n'.repeat(r.pick([1000000, 5000000]))}"\n` };
    case 'hugeIdent':
      return { kind, text: `${'x'.repeat(r.pick([1000000, 5000000]))}: 1\n${text}` };
    case 'deepNest': {
      const d = r.pick([1000, 100000]);
      return { kind, text: `${text}\nlayer ${'{ input_param '.repeat(d)}${'}'.repeat(d)}\n` };
    }
    case 'dropBottom': {
      const idx = lines.map((l, i) => (/bottom:/.test(l) ? i : -1)).filter((i) => i >= 0);
      if (idx.length === 0) return { kind, text };
      lines.splice(r.pick(idx), 1);
      return { kind, text: lines.join('\n') };
    }
    case 'swapLines': {
      const i = r.int(lines.length);
      const j = r.int(lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return { kind, text: lines.join('\n') };
    }
  }
  return { kind, text };
}

// --- .npy ---------------------------------------------------------------------------------------

function npyBytes(descr, shape, payloadBytes) {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const pad = 64 - ((10 + h.length + 1) % 64);
  h = h + ' '.repeat(pad === 64 ? 0 : pad) + '\n';
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  return Buffer.concat([pre, Buffer.from(h, 'latin1'), Buffer.alloc(payloadBytes)]);
}
function npyMutate(r, valid, shape) {
  const kind = r.pick(['bytes', 'zeroBatch', 'hugeShape', 'dtype', 'wrongRank', 'header', 'bigBatch']);
  const count = shape.reduce((a, b) => a * b, 1);
  switch (kind) {
    case 'bytes':
      return { kind, bytes: BYTE_MUTATORS[r.pick(Object.keys(BYTE_MUTATORS))](r, valid) };
    case 'zeroBatch':
      return { kind, bytes: npyBytes('<f4', [0, ...shape.slice(1)], 0) };
    case 'hugeShape':
      return { kind, bytes: npyBytes('<f4', [r.pick([4294967296, 2 ** 40, 60000]), ...shape.slice(1)], 16) };
    case 'dtype':
      return { kind, bytes: npyBytes(r.pick(['<f8', '>f4', '<i8', '|b1', '<c8', '|O', '<U3', '<f2']), shape, count * 8) };
    case 'wrongRank':
      return { kind, bytes: npyBytes('<f4', r.pick([[count], [1, count], [1, 1, 1, 1, count], []]), count * 4) };
    case 'header': {
      const bad = Buffer.from(valid);
      const at = 10 + r.int(Math.max(1, bad.readUInt16LE(8)));
      bad[at] = r.pick([0x27, 0x7b, 0x7d, 0x28, 0x29, 0x2c, 0x00, 0x80]);
      return { kind, bytes: bad };
    }
    case 'bigBatch':
      return { kind, bytes: npyBytes('<f4', [r.pick([256, 4096]), ...shape.slice(1)], r.pick([256, 4096]) * (count / shape[0]) * 4) };
  }
  return { kind, bytes: valid };
}

// --- model folders ------------------------------------------------------------------------------

function modelJsonMutate(r, json) {
  const m = JSON.parse(JSON.stringify(json));
  const kind = r.pick(['dropWeight', 'dtype', 'shape', 'path', 'attr', 'node', 'topology', 'shard', 'nastyNodeName', 'jsonBytes']);
  const weights = m.weightsManifest?.[0]?.weights ?? [];
  const nodes = m.modelTopology?.node ?? [];
  switch (kind) {
    case 'dropWeight':
      if (weights.length > 0) weights.splice(r.int(weights.length), 1);
      break;
    case 'dtype':
      if (weights.length > 0) r.pick(weights).dtype = r.pick(['float64', 'int8', 'string', '', 'complex64', 'bool']);
      break;
    case 'shape':
      if (weights.length > 0) {
        const w = r.pick(weights);
        w.shape = r.pick([[-1], [0], [4294967296, 4294967296], [], [1.5], ['x'], null]);
      }
      break;
    case 'path':
      m.weightsManifest[0].paths[0] = r.pick(['../../../etc/passwd', '/etc/passwd', '../model.json', 'nope.bin', '', '.', 'group1-shard1of1.bin/..']);
      break;
    case 'attr':
      if (nodes.length > 0) {
        const n = r.pick(nodes);
        const keys = Object.keys(n.attr ?? {});
        if (keys.length > 0) n.attr[r.pick(keys)] = r.pick([{}, { list: {} }, { i: 'x' }, { shape: { dim: [{ size: '-5' }] } }, { tensor: {} }, null]);
      }
      break;
    case 'node':
      if (nodes.length > 0) {
        const n = r.pick(nodes);
        if (r.chance(0.5)) n.op = r.pick(['NoSuchOp', '', 'Placeholder', 'Const']);
        else n.input = r.pick([['missing:0'], [n.name], [], ['']]);
      }
      break;
    case 'topology':
      m.modelTopology = r.pick([null, {}, { node: 'x' }, { node: [null] }]);
      break;
    case 'shard':
      return { kind, json: m, shard: 'truncate' };
    case 'nastyNodeName':
      if (nodes.length > 0) r.pick(nodes).name = r.pick(NASTY_NAMES);
      break;
    case 'jsonBytes':
      return { kind, bytes: BYTE_MUTATORS[r.pick(Object.keys(BYTE_MUTATORS))](r, Buffer.from(JSON.stringify(json))) };
  }
  return { kind, json: m };
}

module.exports = { prng, BYTE_MUTATORS, wireBomb, textMutate, npyMutate, npyBytes, modelJsonMutate, NASTY_NAMES };
