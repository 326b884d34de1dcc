/**
 * The ONNX side under hostile use (issue 10 walkthrough): a missing .onnx file, --threads out of
 * range, an unknown --blob on an ONNX file without senet metadata, an ONNX file not named *.onnx,
 * `eval --shard` with more slices than images and `eval --merge` of parts that are missing, not
 * parts, or not of one run (another model, another labels file). Each is one line naming the file
 * or option, exit 1 for bad input and 2 for usage, never an ONNX Runtime message blaming the model.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { writeNpy } from '../../src/runtime/npy';
import { ROOT, expectOneLineFailure, senet, type CliRun } from '../helpers/cli';

const FIX = path.join(ROOT, 'test', 'fixtures', 'caffemodel');
let tmp: string;
let model: string;
let x: string;

function expectUsage(r: CliRun, pattern: RegExp): void {
  expect(r.status).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error|ONNX Runtime cannot load/);
}

/** The file without its top-level metadata_props (field 14), as another tool would write it. */
function stripMetadata(from: string, to: string): void {
  const b = fs.readFileSync(from);
  const keep: Buffer[] = [];
  let p = 0;
  const varint = (): number => {
    let v = 0;
    for (let m = 1; ; m *= 128) {
      const c = b[p++];
      v += (c & 127) * m;
      if ((c & 128) === 0) return v;
    }
  };
  while (p < b.length) {
    const start = p;
    const tag = varint();
    if ((tag & 7) === 0) varint();
    else if ((tag & 7) === 2) {
      const len = varint();
      p += len;
    }
    else throw new Error(`unexpected wire type ${tag & 7}`);
    if (tag >> 3 !== 14) keep.push(b.subarray(start, p));
  }
  fs.writeFileSync(to, Buffer.concat(keep));
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-hostile-'));
  model = path.join(tmp, 'tiny.onnx');
  const r = senet(['convert', path.join(FIX, 'tiny.prototxt'), path.join(FIX, 'tiny.caffemodel'), '-o', model, '-q']);
  expect(r.status).toBe(0);
  x = path.join(tmp, 'x.npy');
  writeNpy(x, { data: new Float32Array(3 * 7 * 7).fill(0.5), shape: [1, 3, 7, 7] });
  // Six 8x8 images, two per class of the 3-class model.
  fs.mkdirSync(path.join(tmp, 'images'));
  const lines: string[] = [];
  for (let i = 0; i < 6; i++) {
    const px = Buffer.alloc(8 * 8 * 3, (i * 40) % 256);
    await sharp(px, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(path.join(tmp, 'images', `img${i}.png`));
    lines.push(`img${i}.png ${i % 3}`);
  }
  fs.writeFileSync(path.join(tmp, 'labels.txt'), lines.join('\n') + '\n');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const evalArgs = (m: string, labels = 'labels.txt'): string[] => ['eval', m, '--images', path.join(tmp, 'images'), '--labels', path.join(tmp, labels), '-q'];

it('a missing .onnx file reads as every missing file does, in every command', () => {
  const missing = path.join(tmp, 'missing.onnx');
  const runs = [
    senet(['run', missing, '-i', x, '-o', path.join(tmp, 'y.npy'), '-q']),
    senet(['bench', missing, '--runs', '1', '-q']),
    senet([...evalArgs(missing)]),
    senet(['predict', missing, path.join(tmp, 'images', 'img0.png'), '-q']),
  ];
  for (const r of runs) expectOneLineFailure(r, /missing\.onnx: cannot read: no such file or folder \(ENOENT\)$/);
});

it('--threads beyond 1..1024 or not a number is a usage error naming --threads, not a model ONNX Runtime cannot load', () => {
  for (const t of ['1e9', '0', 'abc']) {
    expectUsage(senet(['run', model, '-i', x, '-o', path.join(tmp, 'y.npy'), '--threads', t, '-q']), /--threads must be a whole number from 1 to 1024/);
  }
  expectUsage(senet(['bench', model, '--threads', '2000', '--runs', '1', '-q']), /--threads must be a whole number from 1 to 1024, got 2000/);
  expectUsage(senet([...evalArgs(model), '--threads', '1e9']), /--threads must be a whole number from 1 to 1024/);
  // parity NET W --format onnx refuses it before converting: the missing caffemodel is not reached.
  const ref = path.join(tmp, 'ref.npz');
  expect(senet(['run', model, '-i', x, '-o', ref, '--blob', 'prob', '-q']).status).toBe(0);
  const net = path.join(FIX, 'tiny.prototxt');
  expectUsage(senet(['parity', net, path.join(tmp, 'no-such.caffemodel'), '--format', 'onnx', '-i', x, '-r', ref, '--threads', '0', '-q']), /--threads must be a whole number from 1 to 1024, got 0/);
});

it('an unknown --blob of an ONNX file without senet metadata is a usage error; known ones are fetched', () => {
  const bare = path.join(tmp, 'bare.onnx');
  stripMetadata(model, bare);
  expectUsage(senet(['run', bare, '-i', x, '-o', path.join(tmp, 'b.npz'), '--blob', 'no_such_value', '--blob', 'prob', '-q']), /bare\.onnx: no blob named 'no_such_value' in the model/);
  const ok = senet(['run', bare, '-i', x, '-o', path.join(tmp, 'b.npz'), '--blob', 'conv1', '--blob', 'prob', '-q']);
  expect(ok.stderr).toBe('');
  expect(ok.status).toBe(0);
});

it('an ONNX file not named *.onnx: convert warns, and run says it is a file rather than a folder without model.json', () => {
  const plain = path.join(tmp, 'plain-name');
  const c = senet(['convert', path.join(FIX, 'tiny.prototxt'), path.join(FIX, 'tiny.caffemodel'), '-o', plain, '--format', 'onnx', '-q']);
  expect(c.status).toBe(0);
  expect(c.stderr).toMatch(/warning: .*plain-name is an ONNX file without the \.onnx ending.*rename it/);
  expectOneLineFailure(senet(['run', plain, '-i', x, '-o', path.join(tmp, 'y.npy'), '-q']), /plain-name: is a file, not a model: give a TF\.js GraphModel folder or an ONNX file named \*\.onnx/);
});

it('bench --batch too large for memory is a usage error naming the batch it can make', () => {
  expectUsage(senet(['bench', model, '--batch', '100000000', '--runs', '1', '-q']), /--batch 100000000: an input of .* GiB, more than the 1 GiB senet bench makes; use --batch \d+ or less/);
});

it('a --format that is neither tfjs nor onnx is a one-line usage error', () => {
  expectUsage(senet(['convert', path.join(FIX, 'tiny.prototxt'), path.join(FIX, 'tiny.caffemodel'), '-o', path.join(tmp, 'f.onnx'), '--format', 'xyz']), /Invalid values: Argument: format, Given: "xyz", Choices: "tfjs", "onnx"/);
});

describe('eval --shard and --merge', () => {
  const part = (name: string): string => path.join(tmp, name);

  it('refuses more slices than images in every slot alike', () => {
    for (const k of ['1', '7']) {
      expectUsage(senet([...evalArgs(model), '--shard', `${k}/7`, '--save-part', part('p.json')]), /--shard \d\/7: 6 images cut into 7 slices leave some empty; use N <= 6/);
    }
    expect(fs.existsSync(part('p.json'))).toBe(false);
  });

  it('reads part files as every input is read: missing, a folder, not JSON', () => {
    for (const k of [1, 2]) expect(senet([...evalArgs(model), '--shard', `${k}/2`, '--save-part', part(`a-${k}.json`)]).status).toBe(0);
    expectOneLineFailure(senet(['eval', '--merge', part('a-1.json'), part('gone.json')]), /gone\.json: cannot read: no such file or folder \(ENOENT\)$/);
    expectOneLineFailure(senet(['eval', '--merge', part('a-1.json'), path.join(tmp, 'images')]), /images: is a folder, expected an eval part$/);
    fs.writeFileSync(part('cut.json'), fs.readFileSync(part('a-2.json')).subarray(0, 40));
    expectOneLineFailure(senet(['eval', '--merge', part('a-1.json'), part('cut.json')]), /cut\.json: not an eval part: not valid JSON/);
    expect(senet(['eval', '--merge', part('a-2.json'), part('a-1.json'), '-q']).status).toBe(0);
  });

  it('never writes an output over a file inside an input folder, nor two outputs to one file', () => {
    const image = path.join(tmp, 'images', 'img0.png');
    const before = fs.readFileSync(image);
    expectOneLineFailure(senet([...evalArgs(model), '--shard', '1/2', '--save-part', image]), /img0\.png: is inside an input folder of this command \(.*images\); refusing to replace it/);
    expect(fs.readFileSync(image)).toEqual(before);
    const tf = path.join(tmp, 'tiny-tf');
    expect(senet(['convert', path.join(FIX, 'tiny.prototxt'), path.join(FIX, 'tiny.caffemodel'), '-o', tf, '-q']).status).toBe(0);
    const modelJson = fs.readFileSync(path.join(tf, 'model.json'));
    expectOneLineFailure(senet(['run', tf, '-i', x, '-o', path.join(tf, 'model.json'), '-q']), /model\.json: is inside an input folder of this command/);
    expect(fs.readFileSync(path.join(tf, 'model.json'))).toEqual(modelJson);
    expectUsage(senet(['eval', '--merge', part('a-1.json'), part('a-2.json'), '--save-predictions', part('same.out'), '--html', part('same.out')]), /same\.out: named for two outputs of this command/);
    expect(fs.existsSync(part('same.out'))).toBe(false);
  });

  it('says an output folder is missing before the work, not after it', () => {
    const r = senet([...evalArgs(model), '--shard', '1/2', '--save-part', path.join(tmp, 'no-such-folder', 'p.json'), '--threads', '1']);
    expectOneLineFailure(r, /no-such-folder\/p\.json: cannot write: the folder does not exist \(ENOENT\)$/);
    // Refused before the model was loaded: a bad --threads value found later is not reached.
    expectOneLineFailure(senet([...evalArgs(model), '--shard', '1/2', '--save-part', path.join(tmp, 'no-such-folder', 'p.json'), '--threads', '0']), /the folder does not exist/);
  });

  it('refuses a part whose counts, predictions or position were edited or damaged, naming it', () => {
    const good = JSON.parse(fs.readFileSync(part('a-2.json'), 'utf8')) as { result: Record<string, unknown> & { predictions: unknown[]; shard: Record<string, unknown> } };
    const edits: [string, (r: typeof good.result) => void, RegExp][] = [
      ['null-prediction', (r) => { r.predictions[0] = null; }, /prediction 1 is null/],
      ['words', (r) => { r.top1 = 'many'; }, /top1 is "many", not a count/],
      ['fewer', (r) => { r.predictions = r.predictions.slice(0, 1); }, /3 images, 3 evaluated, but 1 predictions and 0 failures/],
      ['inflated', (r) => { r.top1 = 3; r.top5 = 3; r.predictions = r.predictions.map((q) => ({ ...(q as object), top5: [9, 9, 9] })); }, /top-1\/top-5 counts 3\/3, its predictions give 0\/0/],
      ['position', (r) => { r.shard.index = 7; }, /shard 7\/2: K\/N needs 1 <= K <= N/],
    ];
    for (const [name, edit, pattern] of edits) {
      const copy = JSON.parse(JSON.stringify(good)) as typeof good;
      edit(copy.result);
      fs.writeFileSync(part(`${name}.json`), JSON.stringify(copy));
      const line = expectOneLineFailure(senet(['eval', '--merge', part('a-1.json'), part(`${name}.json`)]), pattern);
      expect(line).toMatch(new RegExp(`${name}\\.json: not a valid eval part`));
    }
  });

  it('refuses to merge parts of another model or another labels file', () => {
    const w2 = path.join(tmp, 'other.caffemodel');
    expect(senet(['init-weights', path.join(FIX, 'tiny.prototxt'), '-o', w2, '--seed', '7', '-q']).status).toBe(0);
    const other = path.join(tmp, 'other.onnx');
    expect(senet(['convert', path.join(FIX, 'tiny.prototxt'), w2, '-o', other, '-q']).status).toBe(0);
    expect(senet([...evalArgs(other), '--shard', '2/2', '--save-part', part('other-2.json')]).status).toBe(0);
    expectUsage(senet(['eval', '--merge', part('a-1.json'), part('other-2.json')]), /other-2\.json: its model .* differs from .*a-1\.json's/);
    const shifted = fs.readFileSync(path.join(tmp, 'labels.txt'), 'utf8').replace(/ (\d)$/gm, (_, d: string) => ` ${(Number(d) + 1) % 3}`);
    fs.writeFileSync(path.join(tmp, 'shifted.txt'), shifted);
    expect(senet([...evalArgs(model, 'shifted.txt'), '--shard', '2/2', '--save-part', part('shifted-2.json')]).status).toBe(0);
    expectUsage(senet(['eval', '--merge', part('a-1.json'), part('shifted-2.json')]), /shifted-2\.json: its labels file differs/);
    // The same entries in another order are the same labels.
    const reversed = fs.readFileSync(path.join(tmp, 'labels.txt'), 'utf8').trim().split('\n').reverse().join('\n') + '\n';
    fs.writeFileSync(path.join(tmp, 'reversed.txt'), reversed);
    expect(senet([...evalArgs(model, 'reversed.txt'), '--shard', '2/2', '--save-part', part('rev-2.json')]).status).toBe(0);
    expect(senet(['eval', '--merge', part('a-1.json'), part('rev-2.json'), '-q']).status).toBe(0);
  });
});
