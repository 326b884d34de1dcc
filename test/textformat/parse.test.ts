import { parseText } from '../../src/textformat';
import { caffeType } from '../../src/schema';
import { parseError, testType } from './helpers';

const All = testType('All');
const parse = (text: string | Uint8Array): Record<string, unknown> => parseText(text, All, 't.prototxt');

describe('parseText grammar', () => {
  test('comments, separators and the three message forms', () => {
    const m = parse(
      [
        '# leading comment',
        'i32: 5; s: "x", # trailing comment',
        'inner { a: 1 }',
        'inners: { a: 2 }',
        'inners < a: 3; tag: "t" >',
        'inners{child{a:4}}',
      ].join('\n'),
    );
    expect(m).toEqual({
      i32: 5,
      s: 'x',
      inner: { a: 1 },
      inners: [{ a: 2 }, { a: 3, tag: ['t'] }, { child: { a: 4 } }],
    });
  });

  test('repeated fields: given several times, list form, empty list, lists of messages', () => {
    const m = parse('ri: 1 ri: [2, 3] ri: [] rf: [1.5, 2] rcolor: [RED, 2] rb: [t, 0] inners: [{a: 1}, <a: 2>]');
    expect(m).toEqual({
      ri: [1, 2, 3],
      rf: [1.5, 2],
      rcolor: ['RED', 'BLUE'],
      rb: [true, false],
      inners: [{ a: 1 }, { a: 2 }],
    });
  });

  test('enums by name or number (including negative numbers)', () => {
    expect(parse('color: GREEN')).toEqual({ color: 'GREEN' });
    expect(parse('color: 2')).toEqual({ color: 'BLUE' });
    expect(parse('color: -1')).toEqual({ color: 'MINUS_ONE' });
    expect(parse('color: MINUS_ONE')).toEqual({ color: 'MINUS_ONE' });
  });

  test('booleans', () => {
    const vals: [string, boolean][] = [
      ['true', true], ['True', true], ['t', true], ['1', true],
      ['false', false], ['False', false], ['f', false], ['0', false],
    ];
    for (const [text, v] of vals) expect(parse(`b: ${text}`)).toEqual({ b: v });
  });

  test('strings: quotes, escapes, concatenation, UTF-8, bytes', () => {
    expect(parse(`s: 'it\\'s' s2: 1`.replace(' s2: 1', ''))).toEqual({ s: "it's" });
    expect(parse(`s: "a\\n\\t\\r\\\\\\'\\"\\a\\b\\f\\v\\?"`).s).toBe('a\n\t\r\\\'"\x07\b\f\v?');
    expect(parse(`s: "\\101\\x42\\X43\\0\\7\\u00e9\\U0001F600"`).s).toBe('ABC\0\x07é\u{1F600}');
    expect(parse(`s: "ab" 'cd'\n "ef"`).s).toBe('abcdef');
    expect(parse(`s: "\\303\\251t\\303\\251"`).s).toBe('été');
    expect(parse(`s: "été"`).s).toBe('été');
    expect(parse(`by: "\\000\\377a\\x80" "é"`).by).toEqual(Uint8Array.from([0, 255, 97, 128, 0xc3, 0xa9]));
    expect(parse(`s: ""`).s).toBe('');
  });

  test('integers: decimal, hex, octal, signs, ranges per type', () => {
    expect(parse('i32: 0x10 u32: 010 s32: -0x7fffffff sfx32: -2147483648 fx32: 4294967295')).toEqual({
      i32: 16, u32: 8, s32: -2147483647, sfx32: -2147483648, fx32: 4294967295,
    });
    expect(parse('i32: - 3')).toEqual({ i32: -3 });
    expect(parse('i32: 2147483647 i64: -9007199254740991 u64: 18446744073709551615')).toEqual({
      i32: 2147483647, i64: -9007199254740991, u64: 18446744073709551615,
    });
    expect(parse('s64: -9223372036854775808 fx64: 0 sfx64: 9223372036854775807').s64).toBe(-9223372036854775808);
  });

  test('floats: exponents, f suffix, inf/nan spellings, integers, float32 rounding', () => {
    expect(parse('d: 1.5e3')).toEqual({ d: 1500 });
    expect(parse('d: .5')).toEqual({ d: 0.5 });
    expect(parse('d: 1.')).toEqual({ d: 1 });
    expect(parse('d: 2E-2')).toEqual({ d: 0.02 });
    expect(parse('d: 1e+2f')).toEqual({ d: 100 });
    expect(parse('d: 10f')).toEqual({ d: 10 });
    expect(parse('d: 7')).toEqual({ d: 7 });
    expect(parse('d: -3')).toEqual({ d: -3 });
    expect(parse('d: 0.1')).toEqual({ d: 0.1 });
    expect(parse('f: 0.1')).toEqual({ f: Math.fround(0.1) });
    expect(parse('f: 3.4028235e+38').f).toBe(3.4028234663852886e38);
    expect(parse('f: 3.4028236e+38').f).toBe(Infinity);
    expect(parse('f: 1e-46').f).toBe(0);
    for (const s of ['inf', 'INF', 'Inf', 'infinity', 'Infinity', 'INFINITY']) {
      expect(parse(`d: ${s}`).d).toBe(Infinity);
      expect(parse(`f: -${s}`).f).toBe(-Infinity);
    }
    for (const s of ['nan', 'NaN', 'NAN']) expect(parse(`f: ${s}`).f).toBeNaN();
    expect(Object.is(parse('d: -0').d, -0)).toBe(true);
  });

  test('a Buffer is decoded as UTF-8; a leading byte order mark is skipped', () => {
    expect(parse(Buffer.from('s: "é" i32: 1'))).toEqual({ s: 'é', i32: 1 });
    expect(parse(Buffer.from('\ufeffi32: 1'))).toEqual({ i32: 1 });
  });

  test('empty input and comment-only input give an empty message', () => {
    expect(parse('')).toEqual({});
    expect(parse('# nothing\n\n')).toEqual({});
  });

  test('Caffe schema: a V2 net with the usual forms', () => {
    const net = parseText<Record<string, unknown>>(
      'name: "n"\nlayer { name: "p" type: "Pooling" pooling_param: { pool: MAX kernel_size: 3 } include { phase: TEST } }',
      caffeType('NetParameter'),
      'n.prototxt',
    );
    expect(net).toEqual({
      name: 'n',
      layer: [{ name: 'p', type: 'Pooling', pooling_param: { pool: 'MAX', kernel_size: 3 }, include: [{ phase: 'TEST' }] }],
    });
  });
});

describe('parseText errors carry file:line:col of the offending token', () => {
  const cases: [string, string, number, number, RegExp][] = [
    ['unknown field', 'i32: 1\n  colr: RED', 2, 3, /unknown field 'colr' in message tftest\.All \(did you mean 'color'\?\)/],
    ['unknown field in nested message', 'inner {\n a: 1\n b: 2 }', 3, 2, /unknown field 'b' in message tftest\.Inner/],
    ['unknown enum value', 'color: GREN', 1, 8, /unknown value 'GREN' for enum field 'color' \(tftest\.Color\); did you mean 'GREEN'\?; valid: RED, GREEN, BLUE, MINUS_ONE/],
    ['unknown enum number', 'color: 7', 1, 8, /unknown number 7 for enum field 'color'/],
    ['unterminated string (end of line)', 'i32: 1\ns: "abc\ni32: 2', 2, 4, /unterminated string/],
    ['unterminated string (end of input)', "s: 'abc", 1, 4, /unterminated string/],
    ['invalid escape', 's: "ab\\qc"', 1, 7, /invalid escape sequence '\\q'/],
    ['malformed number', 'd: 1.5.3', 1, 4, /malformed number '1\.5\.3'/],
    ['malformed number (exponent)', 'd: 1e+', 1, 4, /malformed number '1e\+': 'e' must be followed by an exponent/],
    ['malformed number (octal)', 'i32: 089', 1, 6, /malformed number '089': numbers starting with 0 must be octal/],
    ['malformed number (hex)', 'i32: 0xg', 1, 6, /malformed number '0xg'/],
    ['number run into identifier', 'i32: 12abc', 1, 6, /malformed number '12abc'/],
    ['float for an integer field', 'i32: 1.5', 1, 6, /expected an integer for int32 field 'i32', got '1\.5'/],
    ['hex for a float field', 'd: 0x10', 1, 4, /expected a decimal number for double field 'd'/],
    ['int32 out of range', 'i32: 2147483648', 1, 6, /number 2147483648 out of range for int32 field 'i32' \(-2147483648 to 2147483647\)/],
    ['int32 out of range (negative)', '\ni32: -2147483649', 2, 6, /number -2147483649 out of range for int32/],
    ['uint32 out of range', 'u32: 4294967296', 1, 6, /out of range for uint32/],
    ['negative unsigned', 'u64: -1', 1, 6, /number -1 out of range for uint64/],
    ['int64 out of range', 'i64: 9223372036854775808', 1, 6, /out of range for int64/],
    ['bad boolean', 'b: TRUE', 1, 4, /invalid value 'TRUE' for boolean field 'b'/],
    ['bad boolean number', 'b: 2', 1, 4, /invalid value '2' for boolean field 'b'/],
    ['non-repeated field twice', 'i32: 1\ni32: 2', 2, 1, /non-repeated field 'i32' is given more than once/],
    ['non-repeated message twice', 'inner { }\n  inner: < >', 2, 3, /non-repeated field 'inner' is given more than once/],
    ['list for a non-repeated field', 'i32: [1]', 1, 6, /field 'i32' is not repeated/],
    ['unclosed list', 'ri: [1, 2 3]', 1, 11, /expected ',' or '\]'/],
    ['missing colon', 's "x"', 1, 3, /expected ':' after field 's', got '"x"'/],
    ['missing brace', 'inner a: 1', 1, 7, /expected '\{' after message field 'inner', got 'a'/],
    ['unbalanced closing brace', 'inner { a: 1 } }', 1, 16, /unexpected '\}' \(no matching opening brace\)/],
    ['mismatched closer', 'inner < a: 1 }', 1, 14, /'<' at 1:7 must be closed by '>'/],
    ['truncated file', 'inners {\n  child {\n    a: 1\n  }\n', 5, 1, /unexpected end of input: '\{' of field 'inners' at 1:8 is not closed \(truncated file\?\)/],
    ['truncated after colon', 'i32:', 1, 5, /unexpected end of input: expected a value for field 'i32'/],
    ['string expected', 's: abc', 1, 4, /expected a string for field 's', got 'abc'/],
    ['field name expected', 'i32: 1 "x"', 1, 8, /expected a field name, got '"x"'/],
    ['control character', 'i32: 1\n\x01', 2, 1, /invalid control character 0x01/],
    ['non-ASCII outside strings', 'i32: 1 é', 1, 8, /unexpected character 'é'/],
    ['column counts characters', 's: "ééé" x: 1', 1, 10, /unknown field 'x'/],
  ];
  test.each(cases)('%s', (_name, text, line, col, re) => {
    const e = parseError(text, testType('All'), 'a/b.prototxt');
    expect(e.pos).toEqual({ file: 'a/b.prototxt', line, col });
    expect(e.detail).toMatch(re);
    expect(e.message).toBe(`a/b.prototxt:${line}:${col}: ${e.detail}`);
  });

  test('binary garbage: NUL byte in a Buffer or a string', () => {
    const buf = Buffer.from('i32: 1\nab\0cd');
    let e = parseError(buf, testType('All'));
    expect([e.pos.line, e.pos.col]).toEqual([2, 3]);
    expect(e.detail).toMatch(/NUL byte: this is not a text prototxt/);
    e = parseError('i32: 1\n\n  \0', testType('All'));
    expect([e.pos.line, e.pos.col]).toEqual([3, 3]);
    expect(e.detail).toMatch(/NUL character/);
  });

  test('binary garbage: invalid UTF-8 reports the first bad byte', () => {
    // line 2: "é" (2 bytes, 1 column) then a lone continuation byte
    let e = parseError(Buffer.from([0x69, 0x0a, 0xc3, 0xa9, 0x80, 0x41]), testType('All'));
    expect([e.pos.line, e.pos.col]).toEqual([2, 2]);
    expect(e.detail).toMatch(/invalid UTF-8 \(byte 0x80\)/);
    // overlong encoding of '/'
    e = parseError(Buffer.from('s: "\xc0\xaf"', 'latin1'), testType('All'));
    expect([e.pos.line, e.pos.col]).toEqual([1, 5]);
    // truncated sequence at the end
    e = parseError(Buffer.from([0x73, 0x3a, 0x20, 0xe2, 0x82]), testType('All'));
    expect([e.pos.line, e.pos.col]).toEqual([1, 4]);
    // a real binary protobuf (a tiny caffemodel-like header)
    e = parseError(Uint8Array.from([0x0a, 0x05, 0x4c, 0x65, 0x4e, 0x65, 0x74, 0xa2, 0x06, 0x00]), caffeType('NetParameter'));
    expect([e.pos.line, e.pos.col]).toEqual([2, 7]);
  });

  test('errors are TextFormatErrors without a stack of internals in the message', () => {
    const e = parseError('layer { type: "Convolution" convolution_param { engine: CAFE } }', caffeType('NetParameter'), 'net.prototxt');
    expect(e.message).toBe(
      "net.prototxt:1:57: unknown value 'CAFE' for enum field 'engine' (caffe.ConvolutionParameter.Engine); did you mean 'CAFFE'?; valid: DEFAULT, CAFFE, CUDNN",
    );
    expect(e.exitCode).toBe(1);
  });
});
