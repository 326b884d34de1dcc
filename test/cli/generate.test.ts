import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { archs } from '../../src/archs';
import { runGenerate, type GenerateArgs } from '../../src/cli/commands/generate';
import { UsageError } from '../../src/errors';
import { caffeType, type NetParameter } from '../../src/schema';
import { parseText } from '../../src/textformat';

function run(a: GenerateArgs): string {
  let out = '';
  runGenerate(a, (s) => (out += s));
  return out;
}

describe('senet generate', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-gen-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--list prints one line per registry ID', () => {
    const lines = run({ list: true }).trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(archs.map((e) => e.id));
    expect(lines[0]).toMatch(/^se-resnet-50\s+SE-ResNet-50/);
  });

  it('an unknown ID is a usage error (exit 2) that lists the IDs', () => {
    let err: unknown;
    try {
      run({ id: 'se-resnet-51' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/unknown architecture 'se-resnet-51'; known: se-resnet-50, se-resnet-101/);
  });

  it('prints to stdout without -o and writes the same text with -o (no temp file left)', () => {
    const text = run({ id: 'se-resnet-50', flavor: 'bvlc', 'input-size': 128 });
    expect(text).not.toContain('Axpy');
    expect(text).toContain('dim: 128');
    const file = path.join(dir, 'net.prototxt');
    expect(run({ id: 'se-resnet-50', flavor: 'bvlc', 'input-size': 128, output: file })).toBe('');
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    expect(fs.readdirSync(dir)).toEqual(['net.prototxt']);
  });

  it('--all -o DIR writes every ID', () => {
    run({ all: true, output: dir });
    expect(fs.readdirSync(dir).sort()).toEqual(archs.map((e) => `${e.id}.prototxt`).sort());
    const net = parseText(fs.readFileSync(path.join(dir, 'senet-154.prototxt'), 'utf8'), caffeType('NetParameter'), 'x');
    expect(net.name).toBe('SENet');
  });

  it('train flags build a train/test net; misuse is a usage error', () => {
    const text = run({ id: 'se-resnext-50', phase: 'train', source: 'a.txt', 'test-source': 'b.txt', backend: 'imagedata', 'mean-value': '104,117,123', crop: 64, mirror: false });
    const net = parseText(text, caffeType('NetParameter'), 'x') as NetParameter;
    expect(net.layer![0]).toMatchObject({ type: 'ImageData', transform_param: { mirror: false, crop_size: 64, mean_value: [104, 117, 123] } });
    expect(net.layer!.find((l) => l.name === 'pool5/7x7_s1')!.pooling_param).toEqual({ pool: 'AVE', global_pooling: true });
    expect(() => run({ id: 'se-resnet-50', source: 'a' })).toThrow(/--source applies only with --phase train/);
    expect(() => run({ id: 'se-resnet-50', phase: 'train', source: 'a' })).toThrow(/--test-source/);
    expect(() => run({ id: 'se-resnet-50', phase: 'train', source: 'a', 'test-source': 'b', 'mean-value': '1,2' })).toThrow(UsageError);
    expect(() => run({ id: 'se-resnet-50', phase: 'train', source: 'a', 'test-source': 'b', crop: 64, 'input-size': 96 })).toThrow(/disagree/);
    expect(() => run({ id: 'se-resnet-50', batch: 0 })).toThrow(/--batch must be a positive integer/);
    expect(() => run({ all: true })).toThrow(/-o DIR/);
  });
});
