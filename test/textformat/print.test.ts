import * as fs from 'fs';
import * as path from 'path';
import { cEscape, formatG, parseText, printText, simpleDtoa, simpleFtoa, strtof } from '../../src/textformat';
import { caffeType } from '../../src/schema';
import { FIXTURES, testType } from './helpers';

interface FloatRow { kind: 'f'; bits: string; g6: string; g9: string; protobuf: string }
interface DoubleRow { kind: 'd'; bits: string; g15: string; g17: string; protobuf: string }
const table = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'float-format.json'), 'utf8')) as (FloatRow | DoubleRow)[];

function fromBits(r: FloatRow | DoubleRow): number {
  if (r.kind === 'f') return new Float32Array(Uint32Array.of(Number.parseInt(r.bits, 16)).buffer)[0];
  return new Float64Array(BigUint64Array.of(BigInt('0x' + r.bits)).buffer)[0];
}

describe('number formatting against glibc printf and C++ protobuf (float-format.json)', () => {
  test('the table is large and has both kinds', () => {
    expect(table.filter((r) => r.kind === 'f').length).toBeGreaterThan(1000);
    expect(table.filter((r) => r.kind === 'd').length).toBeGreaterThan(500);
  });

  test('%g matches printf for every value', () => {
    const bad: string[] = [];
    for (const r of table) {
      const v = fromBits(r);
      if (Number.isNaN(v)) continue; // printf's sign of NaN is not interesting here
      const got = r.kind === 'f' ? [formatG(v, 6), formatG(v, 9)] : [formatG(v, 15), formatG(v, 17)];
      const want = r.kind === 'f' ? [r.g6, r.g9] : [r.g15, r.g17];
      if (got[0] !== want[0] || got[1] !== want[1]) bad.push(`${r.kind} ${r.bits}: ${got} != ${want}`);
    }
    expect(bad).toEqual([]);
  });

  test('SimpleFtoa / SimpleDtoa match C++ protobuf for every value', () => {
    const bad: string[] = [];
    for (const r of table) {
      const v = fromBits(r);
      const got = r.kind === 'f' ? simpleFtoa(v) : simpleDtoa(v);
      if (got !== r.protobuf) bad.push(`${r.kind} ${r.bits}: ${got} != ${r.protobuf}`);
    }
    expect(bad).toEqual([]);
  });

  test('spot checks', () => {
    const row = (s: string): string => simpleFtoa(Number(s));
    expect(row('0.1')).toBe('0.1');
    expect(row('1e-05')).toBe('1e-05');
    expect(row('0.0001')).toBe('0.0001');
    expect(row('1e+06')).toBe('1e+06');
    expect(row('123456789')).toBe('123456792');
    expect(row('3.4028235e+38')).toBe('3.40282347e+38');
    expect(row('1.4e-45')).toBe('1.40129846e-45');
    expect(simpleFtoa(Math.fround(0.2))).toBe('0.2');
    expect(simpleFtoa(-0)).toBe('-0');
    expect(simpleFtoa(Infinity)).toBe('inf');
    expect(simpleFtoa(-Infinity)).toBe('-inf');
    expect(simpleFtoa(NaN)).toBe('nan');
    expect(simpleDtoa(0.1)).toBe('0.1');
    expect(simpleDtoa(0.1 + 0.2)).toBe('0.30000000000000004');
    // half-way cases round to even, as glibc does
    expect(formatG(1234565, 6)).toBe('1.23456e+06');
    expect(formatG(1234575, 6)).toBe('1.23458e+06');
    expect(formatG(0.5, 0)).toBe('0.5');
    expect(formatG(2.5, 1)).toBe('2');
  });

  test('strtof rounds decimal strings directly to float32', () => {
    expect(strtof('0.1')).toBe(Math.fround(0.1));
    expect(strtof('3.4028236e+38')).toBe(Infinity);
    // 1 + 2^-24 + 2^-60 lies just above a float32 midpoint; via double it would land on the midpoint
    // and round to even (1), strtof must give the float above.
    expect(strtof('1.00000005960464477606')).toBe(1 + 2 ** -23);
    expect(strtof('1.000000059604644775390625')).toBe(1); // exactly the midpoint: ties to even
  });
});

describe('printText', () => {
  const All = testType('All');

  test('fields in field-number order, nesting, repeated elements, enums, bools', () => {
    const text = printText(
      {
        late: 'z',
        early: 'e',
        rcolor: ['BLUE', 'RED'],
        inners: [{ a: 1 }, { child: { tag: ['x', 'y'] } }],
        b: false,
        color: 'MINUS_ONE',
        i32: -5,
        d: 0.1,
        f: 0.1,
        u64: 18446744073709551615,
        i64: -9007199254740993n,
        rf: new Float32Array([1.5, 1e-5]),
        s: undefined,
      },
      All,
    );
    expect(text).toBe(
      [
        'd: 0.1',
        'f: 0.1',
        'i32: -5',
        'i64: -9007199254740993',
        'u64: 18446744073709551615',
        'b: false',
        'color: MINUS_ONE',
        'inners {',
        '  a: 1',
        '}',
        'inners {',
        '  child {',
        '    tag: "x"',
        '    tag: "y"',
        '  }',
        '}',
        'rf: 1.5',
        'rf: 1e-05',
        'rcolor: BLUE',
        'rcolor: RED',
        'early: "e"',
        'late: "z"',
        '',
      ].join('\n'),
    );
  });

  test('strings and bytes are C-escaped like CEscape', () => {
    expect(cEscape(Uint8Array.from([10, 13, 9, 34, 39, 92, 0, 7, 31, 127, 128, 255, 65, 32, 126]))).toBe(
      '\\n\\r\\t\\"\\\'\\\\\\000\\007\\037\\177\\200\\377A ~',
    );
    expect(printText({ s: 'é\n"q"', by: Uint8Array.from([0, 1, 65]) }, All)).toBe(
      's: "\\303\\251\\n\\"q\\""\nby: "\\000\\001A"\n',
    );
    expect(printText({ s: '' }, All)).toBe('s: ""\n');
  });

  test('an empty message prints as braces; an empty repeated field prints nothing', () => {
    expect(printText({ inner: {}, ri: [] }, All)).toBe('inner {\n}\n');
    expect(printText({}, All)).toBe('');
  });

  test('programming errors are reported', () => {
    expect(() => printText({ nope: 1 }, All)).toThrow(/tftest\.All has no field 'nope'/);
    expect(() => printText({ color: 'PURPLE' }, All)).toThrow(/unknown enum value name/);
    expect(() => printText({ i32: 2 ** 31 }, All)).toThrow(/out of range for int32/);
    expect(() => printText({ i32: 1.5 }, All)).toThrow(/expected an integer/);
    expect(() => printText({ ri: 3 }, All)).toThrow(/must be an array/);
  });

  test('round trip: parse(print(x)) == x and print is a fixed point', () => {
    const x = {
      d: 1e-300,
      f: Math.fround(3.14159),
      i32: -2147483648,
      i64: -123456789012,
      u32: 4294967295,
      u64: 9007199254740991,
      s32: -7,
      s64: 7,
      fx32: 1,
      fx64: 2,
      sfx32: -3,
      sfx64: -4,
      b: true,
      s: 'tab\there \\ "quotes" \'single\' é \u{1F600} \x01',
      by: Uint8Array.from([0, 255, 10, 34]),
      color: 'GREEN',
      inner: { a: 1, tag: ['a', 'b'], child: { a: 2 } },
      inners: [{}, { a: 3 }],
      ri: [1, -1, 0],
      rf: [0.5, Math.fround(0.1), -Infinity],
      rcolor: ['RED', 'MINUS_ONE'],
      rs: ['', 'x'],
      rb: [true, false],
      early: 'e',
      late: 'l',
    };
    const text = printText(x, All);
    const back = parseText<Record<string, unknown>>(text, All, 'rt');
    expect(back).toEqual(x);
    expect(printText(back, All)).toBe(text);
    const nan = parseText<Record<string, unknown>>(printText({ f: NaN, d: -Infinity }, All), All, 'rt');
    expect(nan.f).toBeNaN();
    expect(nan.d).toBe(-Infinity);
  });

  test('Caffe types: what a generator would write', () => {
    const Net = caffeType('NetParameter');
    const net = {
      name: 'tiny',
      layer: [
        { name: 'data', type: 'Input', top: ['data'], input_param: { shape: [{ dim: [1, 3, 224, 224] }] } },
        {
          name: 'conv1', type: 'Convolution', bottom: ['data'], top: ['conv1'],
          param: [{ lr_mult: 1, decay_mult: 1 }],
          convolution_param: { num_output: 64, bias_term: false, pad: [3], kernel_size: [7], stride: [2], weight_filler: { type: 'msra' } },
        },
        { name: 'bn', type: 'BatchNorm', bottom: ['conv1'], top: ['conv1'], batch_norm_param: { use_global_stats: true, eps: 1e-5 } },
      ],
    };
    expect(printText(net, Net)).toBe(
      'name: "tiny"\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  input_param {\n    shape {\n      dim: 1\n      dim: 3\n      dim: 224\n      dim: 224\n    }\n  }\n}\n' +
        'layer {\n  name: "conv1"\n  type: "Convolution"\n  bottom: "data"\n  top: "conv1"\n  param {\n    lr_mult: 1\n    decay_mult: 1\n  }\n' +
        '  convolution_param {\n    num_output: 64\n    bias_term: false\n    pad: 3\n    kernel_size: 7\n    stride: 2\n    weight_filler {\n      type: "msra"\n    }\n  }\n}\n' +
        'layer {\n  name: "bn"\n  type: "BatchNorm"\n  bottom: "conv1"\n  top: "conv1"\n  batch_norm_param {\n    use_global_stats: true\n    eps: 1e-05\n  }\n}\n',
    );
  });
});
