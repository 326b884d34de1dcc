/**
 * Protobuf text format parser driven by protobufjs reflection. Grammar and value rules follow
 * C++ protobuf's TextFormat::Parser (as Caffe's ReadProtoFromTextFile uses it: a non-repeated
 * field may be given only once).
 */
import { isUtf8 } from 'buffer';
import * as protobuf from 'protobufjs';
import { TextFormatError } from '../errors';
import { ByteSink, Lexer, Tok, Token, stringTokenBytes } from './lexer';
import { FieldInfo, INT_RANGES, ScalarKind, closest, enumNameOf, typeInfo, typeName } from './reflect';

/** A parsed message: proto field names to values (see docs/design.md for the representation). */
export type TextMessage = { [field: string]: TextValue | TextValue[] };
export type TextValue = number | boolean | string | Uint8Array | TextMessage;

const utf8Lenient = new TextDecoder('utf-8');

/**
 * Parse text format into a plain object of the given message type.
 * `text` may be a Buffer/Uint8Array: it must then be valid UTF-8 without NUL bytes.
 */
export function parseText<T = TextMessage>(text: string | Uint8Array, type: protobuf.Type, file: string): T {
  const src = typeof text === 'string' ? checkString(text, file) : decodeBytes(text, file);
  const start = src.charCodeAt(0) === 0xfeff ? 1 : 0; // tolerate a UTF-8 byte order mark
  const lex = new Lexer(src, file, start);
  const p = new Parser(lex);
  const out: TextMessage = {};
  p.parseFields(type, out, undefined, undefined);
  return out as unknown as T;
}

function binaryError(file: string, line: number, col: number, what: string): TextFormatError {
  return new TextFormatError(
    { file, line, col },
    `${what}: this is not a text prototxt (binary file, e.g. a .caffemodel?)`,
  );
}

function checkString(text: string, file: string): string {
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const { line, col } = lineColOfOffset(text, nul);
    throw binaryError(file, line, col, 'NUL character');
  }
  return text;
}

function lineColOfOffset(text: string, off: number): { line: number; col: number } {
  let line = 1;
  let ls = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < off; i = text.indexOf('\n', i + 1)) {
    line++;
    ls = i + 1;
  }
  let col = 1;
  for (let i = ls; i < off; i++) {
    const c = text.charCodeAt(i);
    if (!(c >= 0xdc00 && c <= 0xdfff)) col++;
  }
  return { line, col };
}

/** Validate UTF-8 (and no NUL) and decode; report the first bad byte's line and column. */
function decodeBytes(b: Uint8Array, file: string): string {
  // Fast path: node's native validator and decoder; the byte loop below only locates errors.
  const nb = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (nb.indexOf(0) < 0 && isUtf8(nb)) return nb.toString('utf8');
  const n = b.length;
  let i = 0;
  let bad = -1;
  let what = '';
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      if (c === 0) {
        bad = i;
        what = 'NUL byte';
        break;
      }
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      bad = i;
      break;
    }
    let cp = c & (0x3f >> need);
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (d & 0x3f);
    }
    if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      bad = i;
      break;
    }
    i += need + 1;
  }
  if (bad >= 0) {
    let line = 1;
    let ls = 0;
    for (let k = 0; k < bad; k++) {
      if (b[k] === 10) {
        line++;
        ls = k + 1;
      }
    }
    let col = 1;
    for (let k = ls; k < bad; k++) if ((b[k] & 0xc0) !== 0x80) col++;
    const hex = b[bad].toString(16).padStart(2, '0');
    throw binaryError(file, line, col, what || `invalid UTF-8 (byte 0x${hex})`);
  }
  return utf8Lenient.decode(b);
}

function describe(t: Token): string {
  if (t.kind === Tok.Eof) return 'end of input';
  return `'${t.text}'`;
}

class Parser {
  constructor(private readonly lex: Lexer) {}

  /**
   * Fields of one message until its closing symbol (or end of input at top level).
   * `open` is the token that opened this message, `fieldName` the field it belongs to.
   */
  parseFields(type: protobuf.Type, out: TextMessage, open: Token | undefined, fieldName: string | undefined): void {
    const lex = this.lex;
    const info = typeInfo(type);
    const close = open === undefined ? undefined : open.text === '<' ? '>' : '}';
    for (;;) {
      const t = lex.next();
      if (t.kind === Tok.Eof) {
        if (open === undefined) return;
        const p = lex.tokenPos(open);
        throw lex.error(
          t,
          `unexpected end of input: '${open.text}' of field '${fieldName}' at ${p.line}:${p.col} is not closed (truncated file?)`,
        );
      }
      if (t.kind === Tok.Symbol && t.text === close) return;
      if (t.kind !== Tok.Ident) {
        if (t.kind === Tok.Symbol && (t.text === '}' || t.text === '>')) {
          if (open === undefined) throw lex.error(t, `unexpected '${t.text}' (no matching opening brace)`);
          const p = lex.tokenPos(open);
          throw lex.error(t, `unexpected '${t.text}': '${open.text}' at ${p.line}:${p.col} must be closed by '${close}'`);
        }
        if (t.kind === Tok.Symbol && t.text === '[') {
          throw lex.error(t, 'extension and Any fields ([...]) are not supported');
        }
        throw lex.error(t, `expected a field name, got ${describe(t)}`);
      }
      const fi = info.byName.get(t.text);
      if (fi === undefined) {
        const hint = closest(t.text, info.byName.keys());
        throw lex.error(
          t,
          `unknown field '${t.text}' in message ${info.name}${hint ? ` (did you mean '${hint}'?)` : ''}`,
        );
      }
      if (!fi.repeated && out[fi.name] !== undefined) {
        throw lex.error(t, `non-repeated field '${fi.name}' is given more than once`);
      }
      this.parseFieldValue(fi, out);
      if (!lex.trySymbol(';')) lex.trySymbol(',');
    }
  }

  private parseFieldValue(fi: FieldInfo, out: TextMessage): void {
    const lex = this.lex;
    // The ':' is optional before a message value and required before a scalar.
    const colon = lex.trySymbol(':');
    if (!colon && fi.kind !== 'message') {
      const t = lex.peek();
      throw lex.error(t, `expected ':' after field '${fi.name}', got ${describe(t)}`);
    }
    if (colon) {
      const lb = lex.trySymbol('[');
      if (lb) {
        if (!fi.repeated) throw lex.error(lb, `field '${fi.name}' is not repeated: a list [...] is not allowed`);
        const list = this.listOf(out, fi);
        if (lex.trySymbol(']')) return;
        for (;;) {
          list.push(this.parseOneValue(fi));
          if (lex.trySymbol(']')) return;
          if (!lex.trySymbol(',')) {
            const t = lex.peek();
            throw lex.error(t, `expected ',' or ']' in the list of field '${fi.name}', got ${describe(t)}`);
          }
        }
      }
    }
    const v = this.parseOneValue(fi);
    if (fi.repeated) this.listOf(out, fi).push(v);
    else out[fi.name] = v;
  }

  private listOf(out: TextMessage, fi: FieldInfo): TextValue[] {
    const cur = out[fi.name];
    if (Array.isArray(cur)) return cur;
    const list: TextValue[] = [];
    out[fi.name] = list;
    return list;
  }

  private parseOneValue(fi: FieldInfo): TextValue {
    const lex = this.lex;
    if (fi.kind === 'message') {
      const t = lex.next();
      if (!(t.kind === Tok.Symbol && (t.text === '{' || t.text === '<'))) {
        throw lex.error(t, `expected '{' after message field '${fi.name}', got ${describe(t)}`);
      }
      const m: TextMessage = {};
      this.parseFields(fi.type, m, t, fi.name);
      return m;
    }
    if (fi.kind === 'enum') return this.parseEnum(fi.name, fi.type);
    return this.parseScalar(fi.name, fi.scalar);
  }

  private valueToken(fieldName: string): Token {
    const t = this.lex.next();
    if (t.kind === Tok.Eof) throw this.lex.error(t, `unexpected end of input: expected a value for field '${fieldName}'`);
    return t;
  }

  private parseEnum(fieldName: string, e: protobuf.Enum): string {
    const lex = this.lex;
    const minus = lex.trySymbol('-');
    const t = this.valueToken(fieldName);
    if (t.kind === Tok.Ident && !minus) {
      if (Object.prototype.hasOwnProperty.call(e.values, t.text)) return t.text;
      const ename = typeName(e);
      const names = Object.keys(e.values);
      const hint = closest(t.text, names);
      const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? ', ...' : '');
      throw lex.error(
        t,
        `unknown value '${t.text}' for enum field '${fieldName}' (${ename})${hint ? `; did you mean '${hint}'?` : ''}; valid: ${shown}`,
      );
    }
    if (t.kind === Tok.Int) {
      const n = Number(parseIntToken(t.text)) * (minus ? -1 : 1);
      const name = enumNameOf(e, n);
      if (name !== undefined) return name;
      throw lex.error(minus ?? t, `unknown number ${n} for enum field '${fieldName}' (${typeName(e)})`);
    }
    throw lex.error(minus ?? t, `expected an enum value name for field '${fieldName}' (${typeName(e)}), got ${describe(t)}`);
  }

  private parseScalar(fieldName: string, kind: ScalarKind): TextValue {
    const lex = this.lex;
    switch (kind) {
      case 'string':
      case 'bytes': {
        const t = this.valueToken(fieldName);
        if (t.kind !== Tok.String) throw lex.error(t, `expected a string for field '${fieldName}', got ${describe(t)}`);
        // Fast path: one literal without escapes.
        if (kind === 'string' && t.text.indexOf('\\') < 0 && !isString(lex.peek())) return t.text.slice(1, -1);
        const bytes = new ByteSink();
        stringTokenBytes(lex, t, bytes);
        while (isString(lex.peek())) stringTokenBytes(lex, lex.next(), bytes);
        const u8 = bytes.bytes().slice();
        return kind === 'bytes' ? u8 : utf8Lenient.decode(u8);
      }
      case 'bool': {
        const t = this.valueToken(fieldName);
        if (t.kind === Tok.Ident) {
          switch (t.text) {
            case 'true':
            case 'True':
            case 't':
              return true;
            case 'false':
            case 'False':
            case 'f':
              return false;
          }
        } else if (t.kind === Tok.Int) {
          const v = parseIntToken(t.text);
          if (v === 0n) return false;
          if (v === 1n) return true;
        }
        throw lex.error(t, `invalid value ${describe(t)} for boolean field '${fieldName}' (expected true or false)`);
      }
      case 'float':
      case 'double': {
        const minus = lex.trySymbol('-');
        const t = this.valueToken(fieldName);
        let v: number;
        if (t.kind === Tok.Float) {
          v = Number.parseFloat(t.text);
        } else if (t.kind === Tok.Int) {
          if (t.text.length > 1 && t.text.charCodeAt(0) === 48) {
            throw lex.error(t, `expected a decimal number for ${kind} field '${fieldName}', got '${t.text}'`);
          }
          v = Number.parseFloat(t.text);
        } else if (t.kind === Tok.Ident && /^(inf|infinity)$/i.test(t.text)) {
          v = Infinity;
        } else if (t.kind === Tok.Ident && /^nan$/i.test(t.text)) {
          v = NaN;
        } else {
          throw lex.error(minus ?? t, `expected a number for ${kind} field '${fieldName}', got ${describe(t)}`);
        }
        if (minus) v = -v;
        return kind === 'float' ? Math.fround(v) : v;
      }
      default: {
        const range = INT_RANGES[kind];
        const minus = lex.trySymbol('-');
        const t = this.valueToken(fieldName);
        if (t.kind !== Tok.Int) {
          throw lex.error(minus ?? t, `expected an integer for ${kind} field '${fieldName}', got ${describe(t)}`);
        }
        let v = parseIntToken(t.text);
        if (minus) v = -v;
        if (v < range[0] || v > range[1]) {
          throw lex.error(
            minus ?? t,
            `number ${minus ? '-' : ''}${t.text} out of range for ${kind} field '${fieldName}' (${range[0]} to ${range[1]})`,
          );
        }
        return Number(v);
      }
    }
  }
}

function isString(t: Token): boolean {
  return t.kind === Tok.String;
}

function parseIntToken(text: string): bigint {
  if (text.length > 1 && text.charCodeAt(0) === 48) {
    const c1 = text.charCodeAt(1) | 32;
    if (c1 === 120) return BigInt(text); // 0x...
    return BigInt('0o' + text.slice(1));
  }
  return BigInt(text);
}
