/**
 * `senet upgrade` and `senet fmt` through the compiled CLI (built by test/global-setup.ts):
 * outputs, atomic writes and exit codes (0 ok, 1 failure with one line, 2 usage).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expectOneLineFailure, ROOT, senet } from '../helpers/cli';

const FIX = path.join(ROOT, 'test', 'fixtures', 'upgrade');

const expected = (name: string): string => fs.readFileSync(path.join(FIX, 'expected', name), 'utf8');

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-cli-upgrade-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('senet upgrade', () => {
  it('prints the upgraded net (as Caffe does) and names the steps on stderr', () => {
    const r = senet(['upgrade', path.join(FIX, 'v1-all-types.prototxt')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected('v1-all-types.prototxt'));
    expect(r.stderr).toContain('upgraded (data-transform, V1->V2, input)');
  });

  it('-o writes the file atomically (no temp file left) and prints nothing on stdout', () => {
    const out = path.join(tmp, 'out', 'v0.prototxt');
    fs.mkdirSync(path.dirname(out));
    fs.writeFileSync(out, 'old');
    const r = senet(['upgrade', path.join(FIX, 'v0-padding.prototxt'), '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(fs.readFileSync(out, 'utf8')).toBe(expected('v0-padding.prototxt'));
    expect(fs.readdirSync(path.dirname(out))).toEqual(['v0.prototxt']);
    // Caffe's "continuing anyway" cases become warnings.
    expect(r.stderr).toContain("warning: ");
    expect(r.stderr).toContain("V0 parameter 'num_output' has no meaning for layer type 'relu'");
  });

  it('a current net is still printed canonically, and stderr says so', () => {
    const r = senet(['upgrade', path.join(FIX, 'v2-current.prototxt')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected('v2-current.prototxt'));
    expect(r.stderr).toMatch(/already in the current format/);
  });

  it('exit 1, one line: missing file, syntax error, net Caffe refuses', () => {
    const missing = path.join(tmp, 'nope.prototxt');
    expectOneLineFailure(senet(['upgrade', missing]), new RegExp(`${missing.replace(/[.\\/]/g, '\\$&')}: cannot read`));
    const bad = path.join(tmp, 'bad.prototxt');
    fs.writeFileSync(bad, 'layers {\n  name: "a"\n  type: NOT_A_TYPE\n}\n');
    expectOneLineFailure(senet(['upgrade', bad]), /bad\.prototxt:3:9: unknown value 'NOT_A_TYPE'/);
    expectOneLineFailure(
      senet(['upgrade', path.join(FIX, 'refuse-mixed-layers.prototxt')]),
      /refuse-mixed-layers\.prototxt: the net has both 'layer' and 'layers'/,
    );
  });

  it('exit 2 on usage errors', () => {
    expect(senet(['upgrade']).status).toBe(2);
    expect(senet(['upgrade', 'a', 'b']).status).toBe(2);
    expect(senet(['upgrade', path.join(FIX, 'v2-current.prototxt'), '--bogus']).status).toBe(2);
  });
});

describe('senet fmt', () => {
  it('prints a file canonically (upgrading it)', () => {
    const r = senet(['fmt', path.join(FIX, 'v2-input-bn.prototxt')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected('v2-input-bn.prototxt'));
  });

  it('- reads stdin', () => {
    const r = senet(['fmt', '-'], fs.readFileSync(path.join(FIX, 'v2-current.prototxt'), 'utf8'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected('v2-current.prototxt'));
  });

  it('--no-upgrade only reformats', () => {
    const r = senet(['fmt', '--no-upgrade', '-'], 'input: "x"  input_dim: 1 input_dim: 1 input_dim: 1 input_dim: 1');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('input: "x"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 1\ninput_dim: 1\n');
  });

  it('--check: 0 when canonical, 1 when not; prints no net', () => {
    const ok = senet(['fmt', '--check', path.join(FIX, 'expected', 'v2-current.prototxt')]);
    expect(ok).toMatchObject({ status: 0, stdout: '' });
    const notOk = senet(['fmt', '--check', path.join(FIX, 'v2-current.prototxt')]);
    expect(notOk.status).toBe(1);
    expect(notOk.stdout).toBe('');
    expect(notOk.stderr).toMatch(/not canonical/);
    // A canonical V1 file is not current: --check reports it too.
    const v1 = senet(['fmt', '--check', '-'], 'layers {\n  name: "r"\n  type: RELU\n}\n');
    expect(v1.status).toBe(1);
  });

  it('-i rewrites the file atomically', () => {
    const f = path.join(tmp, 'inplace', 'net.prototxt');
    fs.mkdirSync(path.dirname(f));
    fs.copyFileSync(path.join(FIX, 'v1-input-shape.prototxt'), f);
    const r = senet(['fmt', '-i', f]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(fs.readFileSync(f, 'utf8')).toBe(expected('v1-input-shape.prototxt'));
    expect(fs.readdirSync(path.dirname(f))).toEqual(['net.prototxt']);
  });

  it('a syntax error on stdin: exit 1, one line <stdin>:LINE:COL', () => {
    expectOneLineFailure(senet(['fmt', '-'], 'name: "x"\nlayer {\n'), /<stdin>:3:1: /);
  });

  it('exit 2 on usage errors', () => {
    expect(senet(['fmt']).status).toBe(2);
    expect(senet(['fmt', '-i', '-'], '').status).toBe(2);
    expect(senet(['fmt', '--check', '-i', path.join(FIX, 'v2-current.prototxt')]).status).toBe(2);
  });
});
