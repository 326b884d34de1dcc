/**
 * Broken prototxt input, one case per kind, through the compiled CLI (`senet fmt`): exit code 1,
 * exactly one line `FILE:LINE:COL: message` on stderr, no stack trace, nothing on stdout.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expectOneLineFailure, senet } from '../helpers/cli';

const GOOD = 'name: "n"\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  input_param { shape { dim: 1 dim: 3 } }\n}\n';

interface Case {
  kind: string;
  text: string | Buffer;
  line: number;
  col: number;
  message: RegExp;
}

const cases: Case[] = [
  { kind: 'truncated file', text: GOOD.slice(0, GOOD.indexOf('input_param') + 19), line: 6, col: 22, message: /end of input/ },
  { kind: 'unknown field', text: GOOD.replace('top: "data"', 'tops: "data"'), line: 5, col: 3, message: /tops/ },
  { kind: 'misspelt enum value', text: 'layer {\n  name: "p"\n  type: "Pooling"\n  pooling_param { pool: MAXX }\n}\n', line: 4, col: 25, message: /MAXX/ },
  { kind: 'unterminated string', text: 'name: "n\nlayer { }\n', line: 1, col: 7, message: /unterminated|string/i },
  { kind: 'malformed number', text: 'layer {\n  convolution_param { num_output: 6x4 }\n}\n', line: 2, col: 35, message: /number|integer/i },
  { kind: 'unbalanced brace', text: 'layer {\n  name: "a"\n}\n}\n', line: 4, col: 1, message: /\}/ },
  { kind: 'binary garbage', text: Buffer.from([0x0a, 0x03, 0x66, 0x6f, 0x6f, 0x00, 0xff, 0xfe, 0x12]), line: 2, col: 5, message: /NUL byte/ },
];

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-broken-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.each(cases)('senet fmt on broken input: $kind', (c) => {
  it(`exits 1 with one line FILE:${c.line}:${c.col}: message and no stack trace`, () => {
    const file = path.join(tmp, `${c.kind.replace(/\s+/g, '-')}.prototxt`);
    fs.writeFileSync(file, c.text);
    const line = expectOneLineFailure(senet(['fmt', file]), c.message);
    expect(line.startsWith(`${file}:${c.line}:${c.col}: `)).toBe(true);
  });
});

describe('senet with an unknown command', () => {
  it('is a usage error (exit 2) that names the command and suggests the closest', () => {
    const r = senet(['genrate', 'se-resnet-50']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("senet: unknown command 'genrate'. Did you mean generate?");
  });
});
