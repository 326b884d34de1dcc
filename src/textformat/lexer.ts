/**
 * Tokenizer for protobuf text format, following the token rules of C++ protobuf's io::Tokenizer as
 * TextFormat uses it (numbers may end in f/F, a number must not run into an identifier, strings
 * may not cross lines). One pass over char codes; tokens are produced on demand.
 */
import { SourcePos, TextFormatError } from '../errors';

export enum Tok {
  Ident,
  Int,
  Float,
  String,
  Symbol,
  Eof,
}

export interface Token {
  kind: Tok;
  /** Raw text of the token (for strings: including the quotes). */
  text: string;
  /** Offset into the source text. */
  start: number;
  line: number;
  lineStart: number;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

export class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private peeked: Token | undefined;

  constructor(readonly src: string, readonly file: string, startOffset = 0) {
    this.pos = startOffset;
    this.lineStart = startOffset;
  }

  /** 1-based position of an offset on a known line; columns count Unicode code points. */
  posAt(offset: number, line: number, lineStart: number): SourcePos {
    let col = 1;
    for (let i = lineStart; i < offset; i++) {
      const c = this.src.charCodeAt(i);
      // Count a surrogate pair once.
      if (c >= 0xdc00 && c <= 0xdfff && i > lineStart) {
        const p = this.src.charCodeAt(i - 1);
        if (p >= 0xd800 && p <= 0xdbff) continue;
      }
      col++;
    }
    return { file: this.file, line, col };
  }

  tokenPos(t: Token): SourcePos {
    return this.posAt(t.start, t.line, t.lineStart);
  }

  error(t: Token, detail: string): TextFormatError {
    return new TextFormatError(this.tokenPos(t), detail);
  }

  errorAt(offset: number, t: Token, detail: string): TextFormatError {
    return new TextFormatError(this.posAt(offset, t.line, t.lineStart), detail);
  }

  peek(): Token {
    if (this.peeked === undefined) this.peeked = this.scan();
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  /** Consume the next token if it is the given symbol. */
  trySymbol(sym: string): Token | undefined {
    const t = this.peek();
    if (t.kind === Tok.Symbol && t.text === sym) {
      this.peeked = undefined;
      return t;
    }
    return undefined;
  }

  private skipSpaceAndComments(): void {
    const s = this.src;
    const n = s.length;
    let i = this.pos;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 10) {
        i++;
        this.line++;
        this.lineStart = i;
      } else if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) {
        i++;
      } else if (c === 35) {
        // '#' comment to end of line
        const nl = s.indexOf('\n', i);
        i = nl < 0 ? n : nl;
      } else {
        break;
      }
    }
    this.pos = i;
  }

  private make(kind: Tok, start: number, end: number): Token {
    this.pos = end;
    return { kind, text: this.src.slice(start, end), start, line: this.line, lineStart: this.lineStart };
  }

  private scan(): Token {
    this.skipSpaceAndComments();
    const s = this.src;
    const n = s.length;
    const start = this.pos;
    if (start >= n) return { kind: Tok.Eof, text: '', start, line: this.line, lineStart: this.lineStart };
    const c = s.charCodeAt(start);
    if (isLetter(c)) {
      let i = start + 1;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (isLetter(d) || isDigit(d)) i++;
        else break;
      }
      return this.make(Tok.Ident, start, i);
    }
    if (isDigit(c) || (c === 46 && start + 1 < n && isDigit(s.charCodeAt(start + 1)))) {
      return this.scanNumber(start);
    }
    if (c === 34 || c === 39) return this.scanString(start, c);
    if (c < 32 || c === 127) {
      const t = this.make(Tok.Symbol, start, start + 1);
      throw this.error(t, `invalid control character 0x${c.toString(16).padStart(2, '0')} in text`);
    }
    if (c > 127) {
      const cp = s.codePointAt(start) ?? c;
      const t = this.make(Tok.Symbol, start, start + (cp > 0xffff ? 2 : 1));
      throw this.error(t, `unexpected character '${t.text}' (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`);
    }
    return this.make(Tok.Symbol, start, start + 1);
  }

  private scanNumber(start: number): Token {
    const s = this.src;
    const n = s.length;
    let i = start;
    let isFloat = false;
    const malformed = (end: number, why: string): TextFormatError => {
      // Report the whole run of number-like characters so the message shows what was written.
      let e = end;
      while (e < n) {
        const d = s.charCodeAt(e);
        if (isLetter(d) || isDigit(d) || d === 46) e++;
        else if ((d === 43 || d === 45) && (s.charCodeAt(e - 1) | 32) === 101) e++;
        else break;
      }
      const t = this.make(Tok.Int, start, e);
      return this.error(t, `malformed number '${t.text}': ${why}`);
    };
    const c0 = s.charCodeAt(i);
    if (c0 === 48 && i + 1 < n && (s.charCodeAt(i + 1) | 32) === 120) {
      // hex
      i += 2;
      const digitsStart = i;
      while (i < n && isHex(s.charCodeAt(i))) i++;
      if (i === digitsStart) throw malformed(i, "'0x' must be followed by hex digits");
    } else if (c0 === 48 && i + 1 < n && isDigit(s.charCodeAt(i + 1))) {
      // octal
      i++;
      while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 55) i++;
      if (i < n && isDigit(s.charCodeAt(i))) throw malformed(i, 'numbers starting with 0 must be octal');
    } else {
      while (i < n && isDigit(s.charCodeAt(i))) i++;
      if (i < n && s.charCodeAt(i) === 46) {
        isFloat = true;
        i++;
        while (i < n && isDigit(s.charCodeAt(i))) i++;
      }
      if (i < n && (s.charCodeAt(i) | 32) === 101) {
        isFloat = true;
        i++;
        if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i++;
        const expStart = i;
        while (i < n && isDigit(s.charCodeAt(i))) i++;
        if (i === expStart) throw malformed(i, "'e' must be followed by an exponent");
      }
      if (i < n && (s.charCodeAt(i) | 32) === 102) {
        isFloat = true;
        i++;
      }
    }
    if (i < n) {
      const d = s.charCodeAt(i);
      if (isLetter(d) || isDigit(d) || d === 46) throw malformed(i, 'unexpected character after number');
    }
    return this.make(isFloat ? Tok.Float : Tok.Int, start, i);
  }

  private scanString(start: number, quote: number): Token {
    const s = this.src;
    const n = s.length;
    let i = start + 1;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === quote) return this.make(Tok.String, start, i + 1);
      if (c === 10) break;
      if (c === 92) i += 2;
      else i++;
    }
    const t = this.make(Tok.String, start, Math.min(i, n));
    throw this.error(t, `unterminated string (a string must end on the line where it starts)`);
  }
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 10, t: 9, r: 13, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, '?': 63,
};

/**
 * A growable byte buffer: string values are decoded into it (a number[] costs 8+ bytes per byte,
 * which a long string of escapes turned into gigabytes).
 */
export class ByteSink {
  private buf = new Uint8Array(64);
  length = 0;

  push(b: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b;
  }

  /** The bytes pushed so far (a view, valid until the next push). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * Bytes of a string token (quotes removed, escapes resolved). Non-ASCII characters are UTF-8
 * encoded, so `\303\251` and `é` give the same bytes, as in C++ protobuf.
 */
export function stringTokenBytes(lex: Lexer, t: Token, out: ByteSink): void {
  const s = t.text;
  const end = s.length - 1;
  for (let i = 1; i < end; i++) {
    let c = s.charCodeAt(i);
    if (c !== 92) {
      if (c < 0x80) out.push(c);
      else {
        const cp = s.codePointAt(i) ?? c;
        if (cp > 0xffff) i++;
        pushUtf8(out, cp);
      }
      continue;
    }
    const escStart = i;
    const e = s[i + 1];
    i++;
    if (e in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[e]);
    } else if (e >= '0' && e <= '7') {
      c = 0;
      let k = 0;
      while (k < 3 && i < end && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 55) {
        c = c * 8 + (s.charCodeAt(i) - 48);
        i++;
        k++;
      }
      i--;
      // As C++ protobuf: the code is stored in one byte.
      out.push(c & 0xff);
    } else if (e === 'x' || e === 'X') {
      c = 0;
      let k = 0;
      i++;
      while (k < 2 && i < end && isHex(s.charCodeAt(i))) {
        c = c * 16 + Number.parseInt(s[i], 16);
        i++;
        k++;
      }
      if (k === 0) throw lex.errorAt(t.start + escStart, t, `'\\${e}' must be followed by hex digits`);
      i--;
      out.push(c);
    } else if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = s.slice(i + 1, i + 1 + len);
      if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex) || Number.parseInt(hex, 16) > 0x10ffff) {
        throw lex.errorAt(t.start + escStart, t, `'\\${e}' must be followed by ${len} hex digits of a code point`);
      }
      pushUtf8(out, Number.parseInt(hex, 16));
      i += len;
    } else {
      throw lex.errorAt(t.start + escStart, t, `invalid escape sequence '\\${e ?? ''}' in string`);
    }
  }
}

function pushUtf8(out: ByteSink, cp: number): void {
  if (cp < 0x80) {
    out.push(cp);
  } else if (cp < 0x800) {
    out.push(0xc0 | (cp >> 6));
    out.push(0x80 | (cp & 63));
  } else if (cp < 0x10000) {
    out.push(0xe0 | (cp >> 12));
    out.push(0x80 | ((cp >> 6) & 63));
    out.push(0x80 | (cp & 63));
  } else {
    out.push(0xf0 | (cp >> 18));
    out.push(0x80 | ((cp >> 12) & 63));
    out.push(0x80 | ((cp >> 6) & 63));
    out.push(0x80 | (cp & 63));
  }
}
