#!/usr/bin/env node
'use strict';
/**
 * Extracts the facts of caffe.proto (messages, fields, enums) from a real, compiled Caffe.
 *
 * protoc's C++ output embeds the serialized FileDescriptorProto of caffe.proto in libcaffe.so and
 * exports `descriptor_table_caffe_2eproto`, whose `size` member is the byte length. We find the
 * bytes two independent ways and require them to agree:
 *   1. scan for the prefix 0a 0b "caffe.proto" 12 05 "caffe" and walk the top-level
 *      FileDescriptorProto fields until the bytes stop being a valid field;
 *   2. read the exported descriptor table through the ELF dynamic symbol table: its `size` member
 *      and the relocation that fills its `descriptor` pointer.
 * The bytes are then decoded with protobufjs's descriptor extension and reduced to a JSON summary
 * (test/fixtures/schema/caffe-descriptor-facts.json).
 *
 * Only runs where the oracle Caffe is unpacked (/opt/caffe-bullseye).
 *
 * Usage: node tools/extract-caffe-descriptor.js [--lib PATH] [--out FILE | --stdout] [--raw FILE]
 */
const fs = require('fs');
const path = require('path');

const DEFAULT_LIB = '/opt/caffe-bullseye/usr/lib/x86_64-linux-gnu/libcaffe.so.1.0.0';
const DEFAULT_OUT = path.resolve(__dirname, '..', 'test', 'fixtures', 'schema', 'caffe-descriptor-facts.json');
const PREFIX = Buffer.concat([
  Buffer.from([0x0a, 0x0b]), Buffer.from('caffe.proto'), Buffer.from([0x12, 0x05]), Buffer.from('caffe'),
]);

// --- minimal protobuf wire walking --------------------------------------------------------------

function readVarint(buf, pos) {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) return null;
    const b = buf[pos + i];
    result += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) return { value: result, next: pos + i + 1 };
  }
  return null;
}

// Top-level fields of google.protobuf.FileDescriptorProto and their wire types.
const FILE_FIELDS = new Map([
  [1, 2], [2, 2], [3, 2], [4, 2], [5, 2], [6, 2], [7, 2], [8, 2], [9, 2], [10, 0], [11, 0], [12, 2], [14, 0],
]);

/** Length of the FileDescriptorProto starting at `start`: stops at the first byte that is not a valid field. */
function walkFileDescriptor(buf, start) {
  let pos = start;
  for (;;) {
    const tag = readVarint(buf, pos);
    if (!tag || tag.value === 0) return pos - start;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value & 7;
    if (FILE_FIELDS.get(field) !== wire) return pos - start;
    if (wire === 0) {
      const v = readVarint(buf, tag.next);
      if (!v) return pos - start;
      pos = v.next;
    } else {
      const len = readVarint(buf, tag.next);
      if (!len || len.next + len.value > buf.length) return pos - start;
      pos = len.next + len.value;
    }
  }
}

// --- ELF: the exported descriptor table ---------------------------------------------------------

function elfSections(buf) {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) {
    throw new Error('not a little-endian ELF64 file');
  }
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      nameOff: buf.readUInt32LE(o),
      type: buf.readUInt32LE(o + 4),
      addr: Number(buf.readBigUInt64LE(o + 16)),
      offset: Number(buf.readBigUInt64LE(o + 24)),
      size: Number(buf.readBigUInt64LE(o + 32)),
      link: buf.readUInt32LE(o + 40),
      entsize: Number(buf.readBigUInt64LE(o + 56)),
    });
  }
  const strtab = raw[shstrndx];
  for (const s of raw) s.name = cstr(buf, strtab.offset + s.nameOff);
  return raw;
}

function cstr(buf, off) {
  const end = buf.indexOf(0, off);
  return buf.toString('latin1', off, end);
}

function vaToOffset(sections, va) {
  const s = sections.find((x) => x.addr !== 0 && va >= x.addr && va < x.addr + x.size && x.type !== 8 /* NOBITS */);
  if (!s) throw new Error(`address 0x${va.toString(16)} is in no file-backed section`);
  return va - s.addr + s.offset;
}

/**
 * Reads `descriptor_table_caffe_2eproto` (protobuf 3.12 layout: bool, bool, const char* descriptor,
 * const char* filename, int size, ...). Returns the descriptor's file offset and size.
 */
function descriptorTable(buf) {
  const sections = elfSections(buf);
  const dynsym = sections.find((s) => s.name === '.dynsym');
  const dynstr = sections[dynsym.link];
  let tableVa = null;
  for (let o = dynsym.offset; o < dynsym.offset + dynsym.size; o += 24) {
    if (cstr(buf, dynstr.offset + buf.readUInt32LE(o)) === 'descriptor_table_caffe_2eproto') {
      tableVa = Number(buf.readBigUInt64LE(o + 8));
      break;
    }
  }
  if (tableVa === null) throw new Error('descriptor_table_caffe_2eproto is not exported');
  const tableOff = vaToOffset(sections, tableVa);
  const size = buf.readInt32LE(tableOff + 24);
  // Pointers in a shared object are filled by R_X86_64_RELATIVE relocations: the addend is the target.
  const pointerAt = (fieldVa) => {
    for (const s of sections.filter((x) => x.type === 4 /* RELA */)) {
      for (let o = s.offset; o < s.offset + s.size; o += 24) {
        if (Number(buf.readBigUInt64LE(o)) === fieldVa && Number(buf.readBigUInt64LE(o + 8) & 0xffffffffn) === 8) {
          return Number(buf.readBigInt64LE(o + 16));
        }
      }
    }
    const stored = Number(buf.readBigUInt64LE(vaToOffset(sections, fieldVa)));
    if (stored === 0) throw new Error(`no relocation for pointer at 0x${fieldVa.toString(16)}`);
    return stored;
  };
  const descriptorOff = vaToOffset(sections, pointerAt(tableVa + 8));
  const filename = cstr(buf, vaToOffset(sections, pointerAt(tableVa + 16)));
  return { tableVa, descriptorOff, size, filename };
}

/** The serialized FileDescriptorProto of caffe.proto inside `lib`, cross-checked two ways. */
function extractDescriptorBytes(lib) {
  const buf = fs.readFileSync(lib);
  const first = buf.indexOf(PREFIX);
  if (first < 0) throw new Error(`${lib}: no embedded caffe.proto descriptor found`);
  if (buf.indexOf(PREFIX, first + 1) >= 0) throw new Error(`${lib}: more than one embedded caffe.proto descriptor`);
  const walked = walkFileDescriptor(buf, first);
  const table = descriptorTable(buf);
  if (table.filename !== 'caffe.proto' || table.descriptorOff !== first || table.size !== walked) {
    throw new Error(
      `${lib}: descriptor table disagrees with the scan: table (offset ${table.descriptorOff}, size ${table.size}, ` +
        `file ${table.filename}) vs scan (offset ${first}, size ${walked})`,
    );
  }
  return { bytes: buf.subarray(first, first + walked), offset: first, size: walked, tableVa: table.tableVa };
}

// --- descriptor -> facts ------------------------------------------------------------------------

const TYPE_NAMES = {
  1: 'double', 2: 'float', 3: 'int64', 4: 'uint64', 5: 'int32', 6: 'fixed64', 7: 'fixed32', 8: 'bool',
  9: 'string', 10: 'group', 11: 'message', 12: 'bytes', 13: 'uint32', 14: 'enum', 15: 'sfixed32',
  16: 'sfixed64', 17: 'sint32', 18: 'sint64',
};
const LABELS = { 1: 'optional', 2: 'required', 3: 'repeated' };
const INT_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** A descriptor default_value string as a JSON value: numbers, booleans, enum names and strings. */
function typedDefault(type, s) {
  if (type === 'bool') {
    if (s !== 'true' && s !== 'false') throw new Error(`bad bool default ${s}`);
    return s === 'true';
  }
  if (type === 'float' || type === 'double') {
    const v = Number(s);
    if (!Number.isFinite(v)) return s; // inf / -inf / nan stay strings (JSON has no such numbers)
    return v;
  }
  if (INT_TYPES.has(type)) {
    const v = Number(s);
    if (!Number.isSafeInteger(v)) throw new Error(`integer default ${s} is not a safe JS integer`);
    return v;
  }
  return s; // string, bytes (C-escaped), enum value name
}

function assertOnly(obj, allowed, where) {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new Error(`${where}: unexpected descriptor member '${k}'`);
  }
}

function fieldFacts(f, where) {
  assertOnly(f, ['name', 'number', 'label', 'type', 'typeName', 'defaultValue', 'options', 'jsonName'], where);
  const kind = TYPE_NAMES[f.type];
  if (!kind || kind === 'group') throw new Error(`${where}.${f.name}: unsupported type ${f.type}`);
  const fact = {
    name: f.name,
    number: f.number,
    label: LABELS[f.label],
    type: kind === 'message' || kind === 'enum' ? f.typeName.replace(/^\./, '') : kind,
    kind: kind === 'message' || kind === 'enum' ? kind : 'scalar',
  };
  if (f.defaultValue !== undefined) fact.default = typedDefault(kind === 'enum' ? 'enum' : kind, f.defaultValue);
  if (f.options) {
    assertOnly(f.options, ['packed', 'deprecated'], `${where}.${f.name} options`);
    if (f.options.deprecated) fact.deprecated = true;
  }
  fact.packed = !!(f.options && f.options.packed);
  return fact;
}

function enumFacts(e, fullName) {
  assertOnly(e, ['name', 'value', 'options'], fullName);
  if (e.options) throw new Error(`${fullName}: enum options are not handled`);
  return { name: fullName, values: e.value.map((v) => ({ name: v.name, number: v.number })) };
}

/** Summary of a decoded FileDescriptorProto (plain object from protobufjs toObject). */
function descriptorToFacts(file) {
  assertOnly(file, ['name', 'package', 'messageType', 'enumType', 'syntax', 'options'], 'file');
  if (file.options) throw new Error('file options are not handled');
  const messages = [];
  const enums = [];
  const visit = (m, scope) => {
    const full = `${scope}.${m.name}`;
    assertOnly(m, ['name', 'field', 'nestedType', 'enumType'], full);
    messages.push({ name: full, fields: (m.field || []).map((f) => fieldFacts(f, full)) });
    for (const e of m.enumType || []) enums.push(enumFacts(e, `${full}.${e.name}`));
    for (const n of m.nestedType || []) visit(n, full);
  };
  for (const m of file.messageType || []) visit(m, file.package);
  for (const e of file.enumType || []) enums.push(enumFacts(e, `${file.package}.${e.name}`));
  const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  messages.sort(byName);
  for (const m of messages) m.fields.sort((a, b) => a.number - b.number);
  enums.sort(byName);
  return { file: file.name, package: file.package, syntax: file.syntax || 'proto2', messages, enums };
}

function decodeFileDescriptor(bytes) {
  require('protobufjs'); // the descriptor extension needs the full library loaded first
  const descriptor = require('protobufjs/ext/descriptor');
  const msg = descriptor.FileDescriptorProto.decode(bytes);
  // A full decode/encode round trip must give the same bytes: nothing was dropped or misread.
  const again = descriptor.FileDescriptorProto.encode(msg).finish();
  if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) !== 0) {
    throw new Error('the descriptor does not survive a decode/encode round trip');
  }
  return descriptor.FileDescriptorProto.toObject(msg, { enums: Number, longs: Number, defaults: false });
}

/** Everything the facts file holds, freshly extracted from `lib`. */
function extractFacts(lib = DEFAULT_LIB) {
  const { bytes, size } = extractDescriptorBytes(lib);
  const facts = descriptorToFacts(decodeFileDescriptor(bytes));
  return {
    source: {
      library: path.basename(lib),
      descriptor_bytes: size,
      sha256: require('crypto').createHash('sha256').update(bytes).digest('hex'),
    },
    ...facts,
  };
}

/** Stable JSON, one field or enum value per line, so that diffs of the facts stay readable. */
function formatFacts(facts) {
  const j = (v) => JSON.stringify(v);
  const lines = ['{'];
  lines.push(` "source": ${j(facts.source)},`);
  lines.push(` "file": ${j(facts.file)}, "package": ${j(facts.package)}, "syntax": ${j(facts.syntax)},`);
  lines.push(' "messages": [');
  facts.messages.forEach((m, i) => {
    lines.push(`  {"name": ${j(m.name)}, "fields": [`);
    m.fields.forEach((f, k) => lines.push(`   ${j(f)}${k < m.fields.length - 1 ? ',' : ''}`));
    lines.push(`  ]}${i < facts.messages.length - 1 ? ',' : ''}`);
  });
  lines.push(' ],');
  lines.push(' "enums": [');
  facts.enums.forEach((e, i) => {
    lines.push(`  {"name": ${j(e.name)}, "values": [`);
    e.values.forEach((v, k) => lines.push(`   ${j(v)}${k < e.values.length - 1 ? ',' : ''}`));
    lines.push(`  ]}${i < facts.enums.length - 1 ? ',' : ''}`);
  });
  lines.push(' ]');
  lines.push('}');
  const text = lines.join('\n') + '\n';
  JSON.parse(text); // guard the hand-made layout
  return text;
}

function main(argv) {
  let lib = DEFAULT_LIB;
  let out = DEFAULT_OUT;
  let raw = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--lib') lib = argv[++i];
    else if (argv[i] === '--out') out = argv[++i];
    else if (argv[i] === '--stdout') out = null;
    else if (argv[i] === '--raw') raw = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!fs.existsSync(lib)) {
    process.stderr.write(`${lib} not found: this tool needs the oracle Caffe (/opt/caffe-bullseye)\n`);
    process.exit(2);
  }
  const facts = extractFacts(lib);
  if (raw) fs.writeFileSync(raw, extractDescriptorBytes(lib).bytes);
  const text = formatFacts(facts);
  if (out === null) {
    process.stdout.write(text);
  } else {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.tmp${process.pid}`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, out);
    process.stderr.write(
      `${out}: ${facts.messages.length} messages, ${facts.enums.length} enums, ` +
        `${facts.messages.reduce((n, m) => n + m.fields.length, 0)} fields (${facts.source.descriptor_bytes} descriptor bytes)\n`,
    );
  }
}

module.exports = { DEFAULT_LIB, formatFacts, extractDescriptorBytes, descriptorToFacts, decodeFileDescriptor, extractFacts };

if (require.main === module) main(process.argv.slice(2));
