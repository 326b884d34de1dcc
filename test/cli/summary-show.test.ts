/** `senet summary` and `senet show` through the compiled CLI (built by test/global-setup.ts). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, senet } from '../helpers/cli';

const OFFICIAL = path.join(ROOT, 'test', 'fixtures', 'senet-official');

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-cli-summary-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('senet summary', () => {
  it('prints the table for an official file, with totals', () => {
    const r = senet(['summary', path.join(OFFICIAL, 'SE-ResNet-50.prototxt')]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('SE-ResNet-50');
    expect(lines[1]).toMatch(/^input: data 1x3x224x224\s+phase: TEST/);
    expect(r.stdout).toMatch(/\n\s+6 {2}pool1\/3x3_s2 +Pooling +1x64x56x56 +- +-\n/);
    expect(r.stdout).toContain('params: 28,088,024 (28.09 M)');
    expect(r.stdout).toContain('(3.86 G) per image');
  });

  it('--totals prints the name, the input line and the totals only', () => {
    const r = senet(['summary', path.join(OFFICIAL, 'SE-ResNet-50.prototxt'), '--totals']);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('pool1/3x3_s2');
    expect(r.stdout.trimEnd().split('\n').slice(-3)).toEqual([
      'layers: 309',
      'params: 28,088,024 (28.09 M)',
      'MACs:   3,860,488,192 (3.86 G) per image',
    ]);
  });

  it('--json follows the schema; the registry ID gives the official totals', () => {
    const r = senet(['summary', 'senet-154', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { name: string; params: number; macs: number; layers: Record<string, unknown>[] };
    expect(Object.keys(j).sort()).toEqual(['layers', 'macs', 'name', 'params']);
    expect(j.params).toBe(115088984);
    expect((j.macs / 1e9).toFixed(2)).toBe('20.69');
    for (const l of j.layers) {
      expect(Object.keys(l).sort()).toEqual(['macs', 'name', 'params', 'shape', 'tops', 'type']);
      expect(Array.isArray(l.shape) && (l.shape as unknown[]).length).toBe((l.tops as unknown[]).length);
    }
    expect(j.layers[0]).toEqual({ name: 'data', type: 'Input', tops: ['data'], shape: [[1, 3, 224, 224]], params: 0, macs: 0 });
  });

  it('generate options apply to IDs: --input-size, --batch, --no-se', () => {
    const se = JSON.parse(senet(['summary', 'se-resnet-50', '--json', '--input-size', '160', '--batch', '2']).stdout);
    expect(se.layers[0].shape).toEqual([[2, 3, 160, 160]]);
    expect(se.params).toBe(28088024);
    const plain = JSON.parse(senet(['summary', 'se-resnet-50', '--json', '--no-se']).stdout);
    expect(plain.params).toBeLessThan(se.params);
  });

  it('train phase of an ID: data layers shaped from --input-size, loss layers listed', () => {
    const r = senet(['summary', 'se-resnet-50', '--phase', 'train', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.layers.some((l: { type: string }) => l.type === 'SoftmaxWithLoss')).toBe(true);
    expect(j.params).toBe(28088024);
  });

  it('usage errors: unknown target, generate flags on a file (exit 2, one line)', () => {
    const a = senet(['summary', 'no-such-net']);
    expect(a.status).toBe(2);
    expect(a.stderr.trim().split('\n')).toHaveLength(1);
    expect(a.stderr).toMatch(/'no-such-net' is neither a file nor an architecture ID/);
    const b = senet(['summary', path.join(OFFICIAL, 'SE-ResNet-50.prototxt'), '--input-size', '160']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--input-size applies to architecture IDs only/);
  });

  it('a file with a data layer needs --input-shape', () => {
    const f = path.join(tmp, 'data.prototxt');
    fs.writeFileSync(
      f,
      `layer { name: "d" type: "Data" top: "data" top: "label" data_param { source: "x" batch_size: 4 backend: LMDB } }
       layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 10 } }\n`,
    );
    const a = senet(['summary', f]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/layer 'd' \(Data\) reads its shape from data; pass --input-shape/);
    const b = senet(['summary', f, '--input-shape', '4,1,28,28', '--json']);
    expect(b.status).toBe(0);
    expect(JSON.parse(b.stdout).params).toBe(784 * 10 + 10);
  });
});

describe('senet show', () => {
  it('writes one self-contained page atomically', () => {
    const out = path.join(tmp, 'page', 'net.html');
    fs.mkdirSync(path.dirname(out));
    const r = senet(['show', path.join(OFFICIAL, 'SE-ResNet-50.prototxt'), '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/wrote .*net\.html \(309 layers/);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['net.html']);
    const html = fs.readFileSync(out, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<svg id="graph"');
    expect(html).toContain('28.09 M');
  });

  it('exit 1 with one line when the output cannot be written', () => {
    const r = senet(['show', 'se-resnet-50', '-o', path.join(tmp, 'missing-dir', 'x.html')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot write/);
  });
});
