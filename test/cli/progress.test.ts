/** The shared progress helper: plain lines off a terminal, a bar on one, nothing when quiet; generate --all uses it. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { archs } from '../../src/archs';
import { runGenerate } from '../../src/cli/commands/generate';
import { createProgress, type ProgressStream } from '../../src/cli/progress';
import { UsageError } from '../../src/errors';

/** A stream that records what is written (cli-progress writes ANSI escapes to a terminal). */
function capture(tty = false): ProgressStream & { text: string; columns: number } {
  const s = {
    text: '',
    isTTY: tty,
    columns: 100,
    write(x: string): boolean {
      s.text += x;
      return true;
    },
  };
  return s;
}

describe('progress helper', () => {
  it('plain lines: notes, and a line every 1/lines of a phase plus the end', () => {
    const s = capture();
    const p = createProgress({ stream: s });
    expect(p.mode).toBe('lines');
    p.note('reading net.prototxt');
    const ph = p.phase('converting layer', 100);
    for (let i = 0; i <= 100; i++) ph.update(i, `(l${i})`);
    ph.update(100, '(again)');
    p.stop();
    const lines = s.text.trimEnd().split('\n');
    expect(lines[0]).toBe('senet: reading net.prototxt');
    expect(lines.slice(1)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((i) => `senet: converting layer ${i}/100 (l${i})`));
    const s20 = capture();
    const ph20 = createProgress({ stream: s20 }).phase('eval', 7, { lines: 20 });
    for (let i = 1; i <= 7; i++) ph20.update(i);
    expect(s20.text.trimEnd().split('\n')).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `senet: eval ${i}/7`));
  });

  it('quiet: nothing at all', () => {
    const s = capture(true);
    const p = createProgress({ quiet: true, stream: s });
    p.note('x');
    const ph = p.phase('y', 3);
    ph.update(1);
    ph.end();
    p.stop();
    expect(p.mode).toBe('quiet');
    expect(s.text).toBe('');
  });

  it('a terminal gets a bar that is cleared at the end; a note ends the bar first', () => {
    const s = capture(true);
    const p = createProgress({ stream: s });
    expect(p.mode).toBe('bar');
    const ph = p.phase('converting layer', 4);
    for (let i = 1; i <= 4; i++) ph.update(i, `(conv${i})`);
    p.note('done');
    expect(s.text).toMatch(/senet: converting layer \[[\u2588\u2591]+\] \d\/4/);
    // The bar line is erased (ESC [2K) before the note is written.
    expect(s.text.endsWith('\u001b[2Ksenet: done\n')).toBe(true);
    // No plain progress lines on a terminal.
    expect(s.text).not.toMatch(/\nsenet: converting layer \d\/4/);
  });
});

describe('senet generate --all / --list with progress and --json', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-gen-progress-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--all: one line per architecture off a terminal, then a summary; -q prints nothing', () => {
    const err = capture();
    let out = '';
    runGenerate({ all: true, output: dir }, (x) => (out += x), err);
    expect(out).toBe('');
    const lines = err.text.trimEnd().split('\n');
    expect(lines.slice(0, archs.length)).toEqual(archs.map((e, i) => `senet: generating ${i}/${archs.length} ${e.id}`));
    expect(lines[archs.length]).toBe(`senet: generating ${archs.length}/${archs.length}`);
    expect(lines[archs.length + 1]).toBe(`senet: wrote ${archs.length} prototxt files to ${dir}`);
    const quiet = capture();
    runGenerate({ all: true, output: dir, quiet: true }, (x) => (out += x), quiet);
    expect(quiet.text).toBe('');
  });

  it('--all --json lists the files written; --list --json the IDs', () => {
    let out = '';
    runGenerate({ all: true, output: dir, json: true, quiet: true }, (x) => (out += x), capture());
    const files = JSON.parse(out) as { id: string; file: string; bytes: number }[];
    expect(files.map((f) => f.id)).toEqual(archs.map((e) => e.id));
    for (const f of files) expect(fs.statSync(f.file).size).toBe(f.bytes);
    let list = '';
    runGenerate({ list: true, json: true }, (x) => (list += x));
    expect(JSON.parse(list)).toEqual(archs.map((e) => ({ id: e.id, description: e.description })));
    expect(() => runGenerate({ id: 'se-resnet-50', json: true }, () => undefined)).toThrow(UsageError);
  });
});
