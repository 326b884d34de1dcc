/**
 * Output safety (issue 11): --force replaces only an earlier output of the same kind, inputs are
 * never replaced, outputs get the umask's modes, an interrupted write leaves no temporary, and a
 * temporary left by a killed run is removed by the next one.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, expectOneLineFailure, senet } from '../helpers/cli';

const FIX = path.join(ROOT, 'test', 'fixtures', 'caffemodel');
let tmp: string;
let proto: string;
let weights: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-outsafe-'));
  proto = path.join(tmp, 'tiny.prototxt');
  weights = path.join(tmp, 'tiny.caffemodel');
  fs.copyFileSync(path.join(FIX, 'tiny.prototxt'), proto);
  fs.copyFileSync(path.join(FIX, 'tiny.caffemodel'), weights);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const convert = (out: string, ...more: string[]) => senet(['convert', proto, weights, '-o', out, '-q', ...more]);
const leftovers = (dir: string) => fs.readdirSync(dir).filter((n) => n.includes('.senet-tmp-') || n.includes('.tmp-'));

describe('convert -o with --force', () => {
  it('replaces an earlier converted model', () => {
    const out = path.join(tmp, 'model');
    expect(convert(out).status).toBe(0);
    expectOneLineFailure(convert(out), /model: already exists \(use --force to replace it\)/);
    fs.writeFileSync(path.join(out, 'group1-shard1of1.bin'), 'stale');
    expect(convert(out, '--force').status).toBe(0);
    expect(fs.statSync(path.join(out, 'group1-shard1of1.bin')).size).toBeGreaterThan(5);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('refuses a folder holding anything else, naming what it holds', () => {
    const out = path.join(tmp, 'photos');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'holiday.jpg'), 'x');
    expectOneLineFailure(convert(out, '--force'), /photos: holds files that are not part of a converted model \("holiday.jpg"\); refusing to replace it/);
    expect(fs.readFileSync(path.join(out, 'holiday.jpg'), 'utf8')).toBe('x');
  });

  it('refuses the folder holding the inputs, and the current folder', () => {
    expectOneLineFailure(convert(tmp, '--force'), /holds an input of this command/);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'senet.js'), 'convert', 'tiny.prototxt', 'tiny.caffemodel', '-o', '.', '--force', '-q'], { cwd: tmp, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^senet: \.: holds an input of this command/);
    const empty = fs.mkdtempSync(path.join(tmp, 'cwd-'));
    const r2 = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'senet.js'), 'convert', proto, weights, '-o', '.', '--force', '-q'], { cwd: empty, encoding: 'utf8' });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/is the current folder or one above it/);
    expect(fs.existsSync(proto) && fs.existsSync(weights)).toBe(true);
  });

  it('never replaces an input, nor a file with a folder', () => {
    const before = fs.readFileSync(proto);
    expectOneLineFailure(convert(proto, '--force'), /tiny\.prototxt: is an input of this command; refusing to replace it/);
    expect(fs.readFileSync(proto)).toEqual(before);
    const other = path.join(tmp, 'notes.txt');
    fs.writeFileSync(other, 'keep');
    expectOneLineFailure(convert(other, '--force'), /notes\.txt: is a file, not a converted model folder; refusing to replace it/);
    expect(fs.readFileSync(other, 'utf8')).toBe('keep');
  });

  it('gives the model folder and its files the modes of the umask', () => {
    const out = path.join(tmp, 'modes');
    const r = spawnSync('sh', ['-c', `umask 027 && exec "${process.execPath}" "${path.join(ROOT, 'bin', 'senet.js')}" convert "${proto}" "${weights}" -o "${out}" -q`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(fs.statSync(out).mode & 0o777).toBe(0o750);
    expect(fs.statSync(path.join(out, 'model.json')).mode & 0o777).toBe(0o640);
  });

  it('removes a temporary left by a run that was killed, once its process is gone', () => {
    const out = path.join(tmp, 'after-kill');
    // A process id above any pid_max: certainly not running.
    const stale = path.join(tmp, `.after-kill.senet-tmp-2147483646-abc123`);
    fs.mkdirSync(stale);
    fs.writeFileSync(path.join(stale, 'group1-shard1of1.bin'), 'half');
    const alive = path.join(tmp, `.other.senet-tmp-${process.pid}-abc123`);
    fs.mkdirSync(alive);
    expect(convert(out).status).toBe(0);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(alive)).toBe(true); // its writer (this test) is still running
    fs.rmSync(alive, { recursive: true });
  });
});

describe('interrupted writes', () => {
  // A model of 61 shards written with writeGraphModelAsync; the process signals itself once the
  // write has begun (the temporary folder exists).
  const script = `
    const fs = require('fs');
    const path = require('path');
    const { GraphBuilder, writeGraphModelAsync } = require(${JSON.stringify(path.join(ROOT, 'dist', 'tfgraph'))});
    const [dir, sig] = process.argv.slice(1);
    const g = new GraphBuilder();
    const x = g.placeholder('data', [-1, 1000]);
    g.output(g.matMul(x, { shape: [1000, 1000], data: new Float32Array(1e6) }, { name: 'fc' }));
    writeGraphModelAsync(dir, g, { shardBytes: 65536 }).then(() => console.log('finished'));
    let polls = 0;
    const poll = () => {
      const tmps = fs.readdirSync(path.dirname(dir)).filter((n) => n.includes('.senet-tmp-'));
      if (tmps.length > 0) { console.log('temporary', tmps[0]); process.kill(process.pid, sig); }
      else if (++polls < 1000) setImmediate(poll);
    };
    setImmediate(poll);
  `;
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'])('%s removes the temporary folder and ends the process by that signal', (sig) => {
    const parent = fs.mkdtempSync(path.join(tmp, 'sig-'));
    const dir = path.join(parent, 'model');
    const r = spawnSync(process.execPath, ['-e', script, dir, sig], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^temporary \.model\.senet-tmp-\d+-/);
    expect(r.stdout).not.toMatch(/finished/);
    expect(r.signal).toBe(sig);
    expect(fs.readdirSync(parent)).toEqual([]);
  });
});

describe('interrupted ONNX conversion', () => {
  // convert -o x.onnx --force over an older file; the process signals itself once the temporary
  // exists. The write must return to the event loop (it once ran to the end, replaced the old
  // file and exited 0 whatever the signal).
  const script = `
    const fs = require('fs');
    const path = require('path');
    const { convertFiles } = require(${JSON.stringify(path.join(ROOT, 'dist', 'convert'))});
    const [proto, weights, out, sig] = process.argv.slice(1);
    convertFiles(proto, weights, out, { force: true, quiet: true }).then(() => console.log('finished'));
    let polls = 0;
    const poll = () => {
      const tmps = fs.readdirSync(path.dirname(out)).filter((n) => n.includes('.senet-tmp-'));
      if (tmps.length > 0) { console.log('temporary', tmps[0]); process.kill(process.pid, sig); }
      else if (++polls < 100000) setImmediate(poll);
    };
    setImmediate(poll);
  `;
  it.each(['SIGINT', 'SIGTERM'])('%s keeps the old .onnx file and leaves no temporary', (sig) => {
    const parent = fs.mkdtempSync(path.join(tmp, 'onnx-sig-'));
    const out = path.join(parent, 'model.onnx');
    fs.writeFileSync(out, 'the old model');
    const r = spawnSync(process.execPath, ['-e', script, proto, weights, out, sig], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^temporary \.model\.onnx\.senet-tmp-\d+-/);
    expect(r.stdout).not.toMatch(/finished/);
    expect(r.signal).toBe(sig);
    expect(fs.readdirSync(parent)).toEqual(['model.onnx']);
    expect(fs.readFileSync(out, 'utf8')).toBe('the old model');
  });
});

describe('file outputs', () => {
  it('run -o refuses its own input and anything that is not a regular file', () => {
    const out = path.join(tmp, 'model-run');
    expect(convert(out).status).toBe(0);
    const x = path.join(tmp, 'x.npy');
    const npy = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00v\x00', 'latin1'), Buffer.from("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 7, 7), }".padEnd(117) + '\n'), Buffer.alloc(147 * 4)]);
    fs.writeFileSync(x, npy);
    expectOneLineFailure(senet(['run', out, '-i', x, '-o', x, '-q']), /x\.npy: is an input of this command; refusing to replace it/);
    expect(fs.readFileSync(x)).toEqual(npy);
    const folder = fs.mkdtempSync(path.join(tmp, 'folder-'));
    expectOneLineFailure(senet(['run', out, '-i', x, '-o', folder, '-q']), /is a folder, not a file this command wrote; refusing to replace it/);
    const y = path.join(tmp, 'y.npy');
    expect(senet(['run', out, '-i', x, '-o', y, '-q']).status).toBe(0);
    expect(fs.statSync(y).isFile()).toBe(true);
  });

  it('generate -o refuses a device', () => {
    expectOneLineFailure(senet(['generate', 'se-resnet-50', '-o', '/dev/null']), /\/dev\/null: is not a regular file .*refusing to replace it/);
  });

  it('upgrade -o and show -o refuse their input', () => {
    expectOneLineFailure(senet(['upgrade', proto, '-o', proto]), /is an input of this command/);
    expectOneLineFailure(senet(['show', proto, '-o', proto]), /is an input of this command/);
  });
});
