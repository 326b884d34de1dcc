/**
 * The README's "Library" section, run as a new user would: the package packed (`npm pack`),
 * installed by name in a scratch project in a temporary folder, and the section's scripts run
 * there. Offline: the tarball is unpacked where npm puts it (node_modules/senet-caffe) and its
 * dependencies are linked from this project's node_modules (an offline `npm install` of the tarball
 * needs registry metadata a lockfile install never caches). Then: the stock-TF.js script gives the
 * library's probabilities, and the browser page (headless Chromium, skipped where absent) too.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { collectPageErrors, describeBrowser, launchChromium } from '../helpers/browser';
import { ROOT } from '../helpers/cli';

let tmp: string;
let proj: string;
const blocks: { js: string[]; html: string[] } = { js: [], html: [] };

function section(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Library\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 5);
  return readme.slice(start, end < 0 ? undefined : end);
}

function node(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [script], { cwd: proj, encoding: 'utf8', timeout: 300000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const probabilities = (out: string): number[] => {
  const m = /probabilities: ([\d. ]+)/.exec(out);
  expect(m).not.toBeNull();
  return m![1].trim().split(/\s+/).map(Number);
};

beforeAll(() => {
  const text = section();
  for (const [, lang, code] of text.matchAll(/```(js|html)\n([\s\S]*?)```/g)) blocks[lang as 'js' | 'html'].push(code);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-library-'));
  // dist/ is fresh (test/global-setup.ts builds it for test/cli), so pack without running prepare again.
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8' });
  expect(pack.status).toBe(0);
  const tarball = path.join(tmp, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename);
  proj = path.join(tmp, 'project');
  const pkgDir = path.join(proj, 'node_modules', 'senet-caffe');
  fs.mkdirSync(pkgDir, { recursive: true });
  fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, dependencies: { 'senet-caffe': `file:${tarball}` } }));
  expect(spawnSync('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1']).status).toBe(0);
  for (const dep of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (dep === 'senet-caffe' || dep.startsWith('.')) continue;
    fs.symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(proj, 'node_modules', dep));
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the packed package, as the README uses it', () => {
  it('holds dist/index.js (package.json main) with its declarations, and nothing from src or test', () => {
    const pkgDir = path.join(proj, 'node_modules', 'senet-caffe');
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { main: string; types: string };
    expect(fs.existsSync(path.join(pkgDir, pkg.main))).toBe(true);
    expect(fs.readFileSync(path.join(pkgDir, pkg.types), 'utf8')).toMatch(/export \{[^}]*\bconvert\b/);
    expect(fs.existsSync(path.join(pkgDir, 'src'))).toBe(false);
    expect(fs.existsSync(path.join(pkgDir, 'test'))).toBe(false);
  });

  it("runs the section's library script: generate, build, caffemodel, convert, preprocess, run, parity, predict, eval", () => {
    expect(blocks.js.length).toBeGreaterThanOrEqual(2);
    fs.writeFileSync(path.join(proj, 'example.js'), blocks.js[0]);
    const r = node('example.js');
    expect(r.stderr).not.toMatch(/Error|senet:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^SE-ResNet-50: 28088024 params, 3860488192 multiply-adds$/m);
    expect(r.stdout).toMatch(/^caffemodel: 2 layers with weights$/m);
    expect(r.stdout).toMatch(/^preprocessing none: no resize, centre crop 32x32, BGR, mean 104,117,123, scale 0.015625$/m);
    expect(r.stdout).toMatch(/^parity: PASS, 5 blobs$/m);
    expect(r.stdout).toMatch(/^eval: top-1 [12]\/2$/m);
    const p = probabilities(r.stdout);
    expect(p).toHaveLength(10);
    expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
    // predict on the same pixels written as a PNG names the most likely class of the run above.
    const best = p.indexOf(Math.max(...p));
    expect(r.stdout).toMatch(new RegExp(`^img0\\.png: class ${best} ${(100 * p[best]).toFixed(1)}%`, 'm'));
    fs.writeFileSync(path.join(proj, 'library-probabilities.json'), JSON.stringify(p));
  });

  it('stock tf.loadGraphModel in Node, fed from the metadata (NHWC input, BGR, mean, scale), gives the same probabilities', () => {
    const want = JSON.parse(fs.readFileSync(path.join(proj, 'library-probabilities.json'), 'utf8')) as number[];
    fs.writeFileSync(path.join(proj, 'stock.js'), blocks.js[1]);
    expect(blocks.js[1]).not.toMatch(/senet-caffe/);
    const r = node('stock.js');
    expect(r.status).toBe(0);
    const got = probabilities(r.stdout);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(2e-6));
    const md = JSON.parse(fs.readFileSync(path.join(proj, 'senet-example', 'tiny', 'model.json'), 'utf8')).userDefinedMetadata;
    expect(md).toMatchObject({ inputLayout: 'NHWC', inputShape: [-1, 32, 32, 3], caffeInputShape: [-1, 3, 32, 32] });
  });
});

describeBrowser('the README page in Chromium', () => {
  it('stock tf.loadGraphModel in a page gives the same probabilities, with no other requests', async () => {
    expect(blocks.html).toHaveLength(1);
    const want = JSON.parse(fs.readFileSync(path.join(proj, 'library-probabilities.json'), 'utf8')) as number[];
    const origin = 'http://senet.test/';
    const dist = (pkg: string, file: string): string => path.join(proj, 'node_modules', '@tensorflow', pkg, 'dist', file);
    const scripts = new Map([
      ['tf-core.min.js', dist('tfjs-core', 'tf-core.min.js')],
      ['tf-backend-cpu.min.js', dist('tfjs-backend-cpu', 'tf-backend-cpu.min.js')],
      ['tf-converter.min.js', dist('tfjs-converter', 'tf-converter.min.js')],
    ]);
    const ctx = await launchChromium();
    try {
      // One origin: the page, the three scripts, and the scratch project's files (the model, the image).
      const blocked: string[] = [];
      await ctx.route('**/*', (route) => {
        const url = route.request().url();
        const rel = url.startsWith(origin) ? decodeURIComponent(url.slice(origin.length)) : undefined;
        if (rel === 'page.html') return route.fulfill({ body: blocks.html[0], contentType: 'text/html' });
        const file = rel === undefined ? undefined : scripts.get(rel) ?? path.join(proj, rel);
        if (file !== undefined && !path.relative(proj, file).startsWith('..') && fs.existsSync(file)) return route.fulfill({ path: file });
        blocked.push(url);
        return route.abort();
      });
      const page = await ctx.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${origin}page.html`);
      await page.waitForFunction(() => (document.getElementById('out')?.textContent ?? '') !== '', undefined, { timeout: 60000 });
      const got = probabilities((await page.textContent('#out')) ?? '');
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(2e-6));
      expect(errors).toEqual([]);
      expect(blocked).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 120000);
});
