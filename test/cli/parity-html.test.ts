/** `senet parity --html` and its progress lines through the compiled CLI, on a real-Caffe parity fixture. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, senet } from '../helpers/cli';

const CASE = path.join(ROOT, 'test', 'fixtures', 'parity', 'scale_bias');

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-cli-parity-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('senet parity --html', () => {
  const base = [path.join(CASE, 'net.prototxt'), path.join(CASE, 'weights.caffemodel'), '-i', path.join(CASE, 'input.npy'), '-r', path.join(CASE, 'blobs.npz'), '--backend', 'cpu'];

  it('writes the report with the counts of the JSON report; progress lines on stderr, none with -q', () => {
    const html = path.join(tmp, 'parity.html');
    const r = senet(['parity', ...base, '--html', html]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^senet: reading the reference .*blobs\.npz$/m);
    expect(r.stderr).toMatch(/^senet: converting layer \d+\/\d+/m);
    expect(r.stderr).toContain(`senet: wrote ${html}`);
    const j = JSON.parse(senet(['parity', ...base, '--json']).stdout) as { passed: number; failed: number; skipped: number };
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toMatch(/<span class="verdict pass">PASS</);
    expect(page).toContain(`id="t-passed">${j.passed}<`);
    expect(page).toContain(`id="t-skipped">${j.skipped}<`);
    expect([...page.matchAll(/<rect class="bar[ "]/g)].length).toBe(j.passed + j.failed);
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const q = senet(['parity', ...base, '-q']);
    expect(q.status).toBe(0);
    expect(q.stderr).toBe('');
  });
});
