/**
 * Issue 11's cases of input that ended in an internal error (or unbounded memory): each is now a
 * typed one-line error naming the file and the layer, blob, byte offset or line:column, or works.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, expectOneLineFailure, senet } from '../helpers/cli';

const FIX = path.join(ROOT, 'test', 'fixtures', 'caffemodel');
const TINY = fs.readFileSync(path.join(FIX, 'tiny.prototxt'), 'utf8');
const WEIGHTS = path.join(FIX, 'tiny.caffemodel');
let tmp: string;
let model: string;
let input: string;

function npy(shape: number[]): Buffer {
  let h = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  h = h.padEnd(117) + '\n';
  const count = shape.reduce((a, b) => a * b, 1);
  return Buffer.concat([Buffer.from('\x93NUMPY\x01\x00v\x00', 'latin1'), Buffer.from(h, 'latin1'), Buffer.alloc(count * 4)]);
}
function file(name: string, data: string | Buffer): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, data);
  return p;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-nointernal-'));
  model = path.join(tmp, 'model');
  expect(senet(['convert', path.join(FIX, 'tiny.prototxt'), WEIGHTS, '-o', model, '-q']).status).toBe(0);
  input = file('x.npy', npy([1, 3, 7, 7]));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('names that are JavaScript object keys', () => {
  it('convert, run (--blob constructor, a repeated --blob), summary and show all work', () => {
    const net = file('keys.prototxt', TINY.replace(/"conv1"/g, '"constructor"').replace(/"fc"/g, '"__proto__"').replace(/"dw"/g, '"toString"'));
    const w = path.join(tmp, 'keys.caffemodel');
    expect(senet(['init-weights', net, '-o', w]).status).toBe(0);
    const out = path.join(tmp, 'keys-model');
    expect(senet(['convert', net, w, '-o', out, '-q']).status).toBe(0);
    const mj = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')) as { modelTopology: { node: { name: string }[] } };
    const names = mj.modelTopology.node.map((n) => n.name);
    // No node is named like an Object.prototype key, so stock tf.loadGraphModel can hold them.
    expect(names.filter((n) => n in Object.prototype)).toEqual([]);
    const npz = path.join(tmp, 'keys.npz');
    const r = senet(['run', out, '-i', input, '-o', npz, '-q', '--blob', 'constructor', '--blob', '__proto__', '--blob', 'prob', '--blob', 'prob', '--json']);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { blobs: { blob: string; shape: number[] }[] }).blobs.map((b) => [b.blob, b.shape])).toEqual([['constructor', [1, 5, 4, 4]], ['__proto__', [1, 3]], ['prob', [1, 3]]]);
    expect(senet(['summary', net]).status).toBe(0);
    expect(senet(['show', net, '-o', path.join(tmp, 'keys.html'), '-q']).status).toBe(0);
  });
});

describe('damaged model folders are refused before TF.js sees them', () => {
  const base = (): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8')) as Record<string, unknown>;
  const cases: Array<[string, (m: any) => void, RegExp]> = [
    ['a shard path outside the folder', (m) => (m.weightsManifest[0].paths[0] = '../../../etc/passwd'), /shard path '\.\.\/\.\.\/\.\.\/etc\/passwd' leaves the model folder/],
    ['an absolute shard path', (m) => (m.weightsManifest[0].paths[0] = '/etc/passwd'), /leaves the model folder/],
    ['a weight missing from the manifest', (m) => m.weightsManifest[0].weights.splice(0, 1), /constant '.+' has no weight in the manifest/],
    ['a wrong dtype', (m) => (m.weightsManifest[0].weights[0].dtype = 'float64'), /dtype 'float64' is not one this project writes/],
    ['a negative dim', (m) => (m.weightsManifest[0].weights[0].shape = [-1, 3]), /is not a list of non-negative integers/],
    ['an empty attribute', (m) => (m.modelTopology.node[1].attr.dtype = {}), /attribute 'dtype' is empty/],
    ['a node reading itself', (m) => (m.modelTopology.node[3].input = [m.modelTopology.node[3].name]), /a cycle/],
    ['a node named like an object key', (m) => (m.modelTopology.node[0].name = 'constructor'), /a JavaScript object key/],
  ];
  it.each(cases)('%s', (_what, mutate, message) => {
    const dir = fs.mkdtempSync(path.join(tmp, 'bad-model-'));
    for (const n of fs.readdirSync(model)) fs.copyFileSync(path.join(model, n), path.join(dir, n));
    const m = base();
    mutate(m);
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(m));
    const line = expectOneLineFailure(senet(['run', dir, '-i', input, '-o', path.join(tmp, 'y.npy'), '-q']), message);
    expect(line).toContain('model.json');
  });
});

describe('inputs that used to crash', () => {
  it('a zero-batch .npy is refused', () => {
    expectOneLineFailure(senet(['run', model, '-i', file('zero.npy', npy([0, 3, 7, 7])), '-o', path.join(tmp, 'z.npy'), '-q']), /a batch of 0, nothing to run/);
  });

  it('10,000 nested protobuf groups in a caffemodel: a typed error with the byte offset', () => {
    const open = Buffer.alloc(10000, 0x0b);
    const close = Buffer.alloc(10000, 0x0c);
    const body = Buffer.concat([open, close]);
    const len: number[] = [];
    for (let v = body.length; ; v >>>= 7) {
      if (v < 0x80) {
        len.push(v);
        break;
      }
      len.push((v & 0x7f) | 0x80);
    }
    const w = file('groups.caffemodel', Buffer.concat([fs.readFileSync(WEIGHTS), Buffer.from([0xa2, 0x06, ...len]), body]));
    expectOneLineFailure(senet(['convert', path.join(FIX, 'tiny.prototxt'), w, '-o', path.join(tmp, 'g'), '-q']), /groups\.caffemodel.*byte \d+.*nested more than 100 deep/);
  });

  it('a layer missing its bottom, in summary and show, names the layer', () => {
    const net = file('nobottom.prototxt', TINY.replace('bottom: "fc" top: "prob"', 'top: "prob"'));
    expectOneLineFailure(senet(['summary', net]), /layer 'prob': \(Softmax\) takes 1 bottoms, not 0/);
    expectOneLineFailure(senet(['show', net, '-o', path.join(tmp, 'nb.html')]), /layer 'prob'/);
  });

  it('a 2^32 input dim in init-weights names the blob and Caffe\'s limit', () => {
    const net = file('huge.prototxt', TINY.replace('dim: 7 dim: 7', 'dim: 4294967296 dim: 7'));
    expectOneLineFailure(senet(['init-weights', net, '-o', path.join(tmp, 'h.caffemodel')]), /layer 'data'.*4294967296.*more than Caffe's limit of 2\^31 - 1/);
    expect(fs.existsSync(path.join(tmp, 'h.caffemodel'))).toBe(false);
  });

  it('a write error (EFBIG under a file size limit) is one line naming the file', () => {
    const out = path.join(tmp, 'big.prototxt');
    const r = spawnSync('sh', ['-c', `ulimit -f 1 && exec "${process.execPath}" "${path.join(ROOT, 'bin', 'senet.js')}" generate se-resnet-50 -o "${out}"`], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/big\.prototxt: cannot write: file too large .*\(EFBIG\)$/);
    expect(fs.readdirSync(tmp).filter((n) => n.includes('senet-tmp'))).toEqual([]);
  });

  it('predict names each bad image, still prints the good ones, and exits 1', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const sharp = require('sharp') as (b: Buffer, o: object) => { png(): { toFile(f: string): Promise<unknown> } };
    const good = path.join(tmp, 'good.png');
    await sharp(Buffer.alloc(16 * 16 * 3, 90), { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(good);
    const bad = file('bad.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    const r = senet(['predict', model, bad, good, path.join(tmp, 'missing.png')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/good\.png\n/);
    expect(r.stdout).not.toMatch(/bad\.jpg/);
    const err = r.stderr.split('\n').filter((l) => l.startsWith('senet: /'));
    expect(err[0]).toMatch(/bad\.jpg: cannot decode the image: /);
    expect(err[1]).toMatch(/missing\.png: cannot read: no such file or folder \(ENOENT\)$/);
    expect(r.stderr).toMatch(/senet: 2 of 3 image\(s\) could not be read\n$/);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it('eval starts no more workers than images', async () => {
    const images = path.join(tmp, 'one-image');
    fs.mkdirSync(images);
    fs.copyFileSync(path.join(tmp, 'good.png'), path.join(images, 'a.png'));
    const labels = file('one-label.txt', 'a.png 0\n');
    const r = senet(['eval', model, '--images', images, '--labels', labels, '--workers', '100', '--json', '-q']);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { workers: number }).workers).toBe(1);
  });
});

describe('bounded memory and bounded messages', () => {
  it('streams and devices are read only up to a cap', () => {
    expectOneLineFailure(senet(['fmt', '/dev/zero']), /^senet: \/dev\/zero: more than 64 MiB of input/);
    const r = spawnSync('sh', ['-c', `yes | "${process.execPath}" "${path.join(ROOT, 'bin', 'senet.js')}" fmt -`], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^senet: <stdin>: more than 64 MiB of input/);
    expectOneLineFailure(senet(['convert', '/dev/zero', WEIGHTS, '-o', path.join(tmp, 'dz'), '-q']), /\/dev\/zero: more than 64 MiB/);
    expectOneLineFailure(senet(['convert', path.join(FIX, 'tiny.prototxt'), '/dev/zero', '-o', path.join(tmp, 'dz'), '-q']), /\/dev\/zero: is not a regular file/);
    expectOneLineFailure(senet(['run', model, '-i', '/dev/zero', '-o', path.join(tmp, 'dz.npy'), '-q']), /\/dev\/zero: (more than 256 MiB|not a \.npy)/);
  });

  it('a 1 MB unknown identifier: the message quotes ~200 characters of it', () => {
    const f = file('ident.prototxt', `${'x'.repeat(1 << 20)}: 1\n`);
    const line = expectOneLineFailure(senet(['fmt', f]), /unknown field 'x+\.\.\.\(\d+ characters\)\.\.\.x+/);
    expect(line.length).toBeLessThan(600);
  });

  it('control and bidi characters in input are escaped in messages', () => {
    const f = file('bidi.prototxt', 'name: "n"\nlayer { name: "a\u202eb\u001b[31m" type: "Nope" top: "x" }\n');
    // init-weights refuses an unknown type (summary draws it, marked unknown, and exits 0).
    const r = senet(['init-weights', f, '-o', path.join(tmp, 'bidi.caffemodel')]);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/[\u202e\u001b]/);
    expect(r.stderr).toMatch(/a\\u202eb\\x1b\[31m/);
    // summary prints the name escaped in its table too.
    const s = senet(['summary', f]);
    expect(s.status).toBe(0);
    expect(s.stdout).not.toMatch(/[\u202e\u001b]/);
    expect(s.stdout).toMatch(/a\\u202eb\\x1b\[31m +Nope \(unknown\)/);
  });

  it('summary of a net with a 300 KB layer name: rows are not padded to it', () => {
    const f = file('longname.prototxt', TINY.replace('name: "relu1"', `name: "${'r'.repeat(300000)}"`));
    const r = senet(['summary', f]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(400);
    expect(lines.filter((l) => l.length > 150)).toHaveLength(1);
  });
});

describe('the exit-code contract', () => {
  it('is stated in --help', () => {
    const r = senet(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('Exit status: 0 done; 1 bad input or a failed check (parity, eval, predict, fmt --check); 2 usage error.');
  });
  it('usage errors exit 2, bad input 1', () => {
    expect(senet(['convert', path.join(FIX, 'tiny.prototxt')]).status).toBe(2);
    expect(senet(['summary', path.join(tmp, 'nope.prototxt')]).status).toBe(2);
    expectOneLineFailure(senet(['fmt', path.join(tmp, 'nope.prototxt')]), /nope\.prototxt: cannot read: no such file or folder \(ENOENT\)$/);
  });
});
