/**
 * Nothing dropped silently (issue 11): caffemodel weights the net does not use are listed (an
 * error under --strict), a weighted layer sharing its name with a later one is refused, parity
 * fails when the reference lacks blobs of the model, eval fails when no image was readable.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readNpz, writeNpz } from '../../src/runtime/npy';
import { ROOT, expectOneLineFailure, senet } from '../helpers/cli';

const FIX = path.join(ROOT, 'test', 'fixtures');
const TINY = fs.readFileSync(path.join(FIX, 'caffemodel', 'tiny.prototxt'), 'utf8');
const WEIGHTS = path.join(FIX, 'caffemodel', 'tiny.caffemodel');
let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-dropped-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function prototxt(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

/** The tiny net without its classifier: the caffemodel's 'fc' weights are left over. */
const withoutFc = (): string => TINY.split('\n').filter((l) => !/name: "(fc|prob)"/.test(l)).join('\n');

describe('unused caffemodel weights', () => {
  it('are listed on stderr (also under -q) and in --json; the conversion succeeds', () => {
    const net = prototxt('no-fc.prototxt', withoutFc());
    const r = senet(['convert', net, WEIGHTS, '-o', path.join(tmp, 'm1'), '-q', '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr.trim()).toBe("senet: warning: layer 'fc': 2 blob(s) in the caffemodel not used (no layer of that name in the net)");
    expect(JSON.parse(r.stdout).unused).toEqual([{ layer: 'fc', blobs: 2, reason: 'no layer of that name in the net' }]);
  });

  it('are an error under --strict, and nothing is written', () => {
    const net = prototxt('no-fc-strict.prototxt', withoutFc());
    const out = path.join(tmp, 'm2');
    expectOneLineFailure(senet(['convert', net, WEIGHTS, '-o', out, '-q', '--strict']), /^senet: layer 'fc': 2 blob\(s\) in the caffemodel not used \(no layer of that name in the net\) \(--strict\)$/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a net that uses every weight converts under --strict without a warning', () => {
    const r = senet(['convert', path.join(FIX, 'caffemodel', 'tiny.prototxt'), WEIGHTS, '-o', path.join(tmp, 'm3'), '-q', '--strict']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('duplicate layer names', () => {
  it('a weighted layer named like a later layer is a typed error naming both', () => {
    // 'dw' renamed 'fc': Caffe would load fc's weights into the last 'fc' only.
    const net = prototxt('dup.prototxt', TINY.replace('name: "dw"', 'name: "fc"'));
    expectOneLineFailure(senet(['convert', net, WEIGHTS, '-o', path.join(tmp, 'm4'), '-q']), /layer 'fc': the Convolution layer #\d+ shares its name with layer #\d+ \(InnerProduct\).*rename one of them/);
  });

  it('layers without weights may share a name', () => {
    const net = prototxt('dup-relu.prototxt', TINY.replace('layer { name: "prob"', 'layer { name: "relu1"'));
    expect(senet(['convert', net, WEIGHTS, '-o', path.join(tmp, 'm5'), '-q']).status).toBe(0);
  });
});

describe('parity with an incomplete reference', () => {
  const dir = path.join(FIX, 'parity', 'conv');
  it('fails naming the missing blobs, unless --allow-missing', () => {
    const full = readNpz(path.join(dir, 'blobs.npz'));
    const keys = Object.keys(full);
    expect(keys.length).toBeGreaterThan(3);
    const partial: Record<string, { data: Float32Array; shape: number[] }> = {};
    for (const k of keys.slice(0, 2)) partial[k] = { data: full[k].data as Float32Array, shape: full[k].shape };
    const ref = path.join(tmp, 'partial.npz');
    writeNpz(ref, partial);
    const args = ['parity', path.join(dir, 'net.prototxt'), path.join(dir, 'weights.caffemodel'), '-i', path.join(dir, 'input.npy'), '-r', ref, '-q'];
    const r = senet(args);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(new RegExp(`^senet: parity failed: ${keys.length - 2} of ${keys.length} blobs of the model are missing from the reference \\(first '.+'\\); --allow-missing checks only the blobs it has$`));
    expect(senet([...args, '--allow-missing']).status).toBe(0);
    expect(senet(['parity', path.join(dir, 'net.prototxt'), path.join(dir, 'weights.caffemodel'), '-i', path.join(dir, 'input.npy'), '-r', path.join(dir, 'blobs.npz'), '-q']).status).toBe(0);
  });
});

describe('eval with no readable image', () => {
  it('prints the report, then fails (exit 1)', () => {
    const model = path.join(tmp, 'eval-model');
    expect(senet(['convert', path.join(FIX, 'caffemodel', 'tiny.prototxt'), WEIGHTS, '-o', model, '-q']).status).toBe(0);
    const images = path.join(tmp, 'images');
    fs.mkdirSync(images);
    fs.writeFileSync(path.join(images, 'a.jpg'), 'not a jpeg');
    fs.writeFileSync(path.join(images, 'b.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]));
    const labels = path.join(tmp, 'labels.txt');
    fs.writeFileSync(labels, 'a.jpg 0\nb.png 1\n');
    const r = senet(['eval', model, '--images', images, '--labels', labels, '-q', '--workers', '1']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/unreadable: .*a\.jpg/);
    expect(r.stderr.trim()).toBe('senet: no image could be evaluated (2 of 2 unreadable)');
  });
});
