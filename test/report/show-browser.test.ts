/**
 * The `senet show` page in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core): renders without console errors or any network request, holds every layer,
 * search highlights, folding a stage hides its nodes, and a screenshot is not blank.
 * Skips with a notice where Chromium or playwright-core is missing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inferShapes } from '../../src/layers';
import { renderNetPage } from '../../src/report';
import { readNetText } from '../../src/upgrade';
import { blockNetwork, collectPageErrors, describeBrowser, launchChromium, type BrowserContext, type Page } from '../helpers/browser';

const OFFICIAL = path.resolve(__dirname, '..', 'fixtures', 'senet-official');

describeBrowser('senet show page in Chromium', () => {
  let tmp: string;
  let ctx: BrowserContext;
  let page: Page;
  let errors: string[];
  let requests: string[];
  let layerNames: string[];

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-show-'));
    const shapes = inferShapes(readNetText(path.join(OFFICIAL, 'SE-ResNet-50.prototxt')));
    layerNames = shapes.layers.map((l) => l.name);
    const file = path.join(tmp, 'se-resnet-50.html');
    fs.writeFileSync(file, renderNetPage(shapes).html);
    const pageUrl = `file://${file}`;
    ctx = await launchChromium();
    requests = await blockNetwork(ctx, new Set([pageUrl]));
    page = ctx.pages()[0] ?? (await ctx.newPage());
    errors = collectPageErrors(page);
    await page.goto(pageUrl);
  }, 60000);

  afterAll(async () => {
    await ctx?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('renders every layer, with no console error and no network request', async () => {
    const names = await page.$$eval('.layer .lname', (els) => els.map((e) => e.textContent));
    expect(names.sort()).toEqual(layerNames.slice().sort());
    expect(await page.textContent('#t-params')).toContain('28.09 M');
    expect(await page.textContent('#t-macs')).toContain('3.86 G');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('shows params and MACs of a layer on hover', async () => {
    await page.hover('#L1 .lname');
    const tip = page.locator('#tip');
    await expect(tip.isVisible()).resolves.toBe(true);
    const text = (await tip.textContent()) ?? '';
    expect(text).toContain('conv1/7x7_s2');
    expect(text).toContain('9,408');
    expect(text).toContain('118,013,952');
  });

  it('search highlights the layer and scrolls it into view', async () => {
    await page.fill('#search', 'conv4_3_1x1_up');
    const cur = page.locator('.layer.current');
    expect(await cur.count()).toBe(1);
    expect(await cur.locator('.lname').textContent()).toBe('conv4_3_1x1_up');
    const box = await cur.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.y).toBeGreaterThan(0);
    expect(box!.y).toBeLessThan(900);
    expect(await page.textContent('#search-count')).toBe('1 / 1');
    await page.fill('#search', '');
    expect(await page.locator('.layer.match').count()).toBe(0);
  });

  it('folding a stage hides its nodes; unfolding shows them again', async () => {
    const head = page.locator('.ghead.stage', { hasText: 'conv3' });
    const node = page.locator('.node', { has: page.locator('.lname', { hasText: /^conv3_2_3x3$/ }) });
    expect(await node.isVisible()).toBe(true);
    const before = Number(await page.getAttribute('#graph', 'height'));
    await head.click();
    expect(await node.isVisible()).toBe(false);
    expect(Number(await page.getAttribute('#graph', 'height'))).toBeLessThan(before);
    // A later stage moved up with the fold.
    expect(await page.locator('.node', { has: page.locator('.lname', { hasText: /^conv4_1_3x3$/ }) }).isVisible()).toBe(true);
    await head.click();
    expect(await node.isVisible()).toBe(true);
    expect(Number(await page.getAttribute('#graph', 'height'))).toBe(before);
    expect(errors).toEqual([]);
  });

  it('a screenshot is not blank', async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    const png = path.join(tmp, 'shot.png');
    await page.screenshot({ path: png });
    const buf = fs.readFileSync(png);
    expect(buf.length).toBeGreaterThan(20000);
    // Decode with sharp and check that the image is not a single colour.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sharp = require('sharp') as (b: Buffer) => { stats(): Promise<{ channels: { stdev: number }[]; isOpaque: boolean }> };
    const stats = await sharp(buf).stats();
    expect(stats.channels.slice(0, 3).some((c) => c.stdev > 10)).toBe(true);
    expect(stats.isOpaque).toBe(true);
  });
});
