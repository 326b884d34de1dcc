/**
 * The parity and eval HTML reports in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core): each renders without console errors or any network request; the parity chart
 * shows a tooltip on hover and its table sorts. Skips with a notice where Chromium or
 * playwright-core is missing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fmtErr, renderEvalPage, renderParityPage } from '../../src/verify';
import { blockNetwork, collectPageErrors, describeBrowser, launchChromium, type BrowserContext, type Page } from '../helpers/browser';
import { syntheticEval, syntheticParity } from './synthetic-reports';

describeBrowser('parity and eval reports in Chromium', () => {
  let tmp: string;
  let ctx: BrowserContext;
  const allowed = new Set<string>();
  let requests: string[];

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-reports-'));
    ctx = await launchChromium();
    requests = await blockNetwork(ctx, allowed);
  }, 60000);

  afterAll(async () => {
    await ctx?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function open(name: string, html: string): Promise<{ page: Page; errors: string[] }> {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, html);
    const url = `file://${file}`;
    allowed.add(url);
    const page = await ctx.newPage();
    const errors = collectPageErrors(page);
    await page.goto(url);
    return { page, errors };
  }

  it('parity: renders, hover shows the blob, sorting reorders the table; no errors, no requests', async () => {
    const rep = syntheticParity();
    const { page, errors } = await open('parity.html', renderParityPage(rep, { model: 'se-demo', input: 'x.npy', inputShape: [1, 3, 8, 8], reference: 'blobs/' }));
    expect(await page.textContent('#t-verdict')).toBe('FAIL');
    expect(await page.locator('#error-chart .bar').count()).toBe(5);
    expect(await page.locator('#error-chart .bar.fail').count()).toBe(2);
    // Hover the third compared blob (relu1).
    await page.hover('#error-chart .hit[data-i="2"]');
    expect(await page.locator('#tip').isVisible()).toBe(true);
    const tip = (await page.textContent('#tip')) ?? '';
    expect(tip).toContain('relu1');
    expect(tip).toContain(fmtErr(rep.results[2].maxRelError));
    expect(tip).toContain('[1, 4]');
    // Sort by max rel err, descending (two clicks): the shape mismatch (inf) comes first.
    await page.click('#blobs th:nth-child(7)');
    await page.click('#blobs th:nth-child(7)');
    const order = await page.$$eval('#blobs tbody tr td:nth-child(2)', (els) => els.map((e) => e.textContent));
    expect(order.slice(0, 2)).toEqual(['fc', 'relu1']);
    expect(order[order.length - 1]).toBe('conv1_conv1_0_split_0');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('eval: renders the numbers and tables; no errors, no requests', async () => {
    const { page, errors } = await open('eval.html', renderEvalPage(syntheticEval(), { model: 'se-resnet-50', images: 'val', labels: 'val.txt' }));
    expect(await page.textContent('#t-top1')).toContain('50.00%');
    expect(await page.locator('#pairs-table tbody tr').count()).toBe(5);
    expect(await page.locator('#worst-table tbody tr').count()).toBe(5);
    expect(await page.locator('#failed-table tbody tr').count()).toBe(2);
    expect(await page.locator('#accuracy-chart').isVisible()).toBe(true);
    // Sort the worst classes by images, descending.
    await page.click('#worst-table th:nth-child(3)');
    await page.click('#worst-table th:nth-child(3)');
    const images = await page.$$eval('#worst-table tbody tr td:nth-child(3)', (els) => els.map((e) => Number(e.textContent)));
    expect(images).toEqual([...images].sort((a, b) => b - a));
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });
});
