#!/usr/bin/env node
'use strict';
/**
 * Makes the README's picture of a generated net page:
 *   node bin/senet.js show se-resnext-50 -o example-out/se-resnext-50.html
 *   node tools/readme-picture.js example-out/se-resnext-50.html docs/img/se-resnext-50-page.png
 * Needs Debian's chromium (/usr/bin/chromium) and the playwright-core dev dependency.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

async function main() {
  const [page, png, width = '1400', height = '1000'] = process.argv.slice(2);
  if (!page || !png) {
    process.stderr.write('usage: node tools/readme-picture.js PAGE.html OUT.png [WIDTH HEIGHT]\n');
    process.exit(2);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-shot-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: Number(width), height: Number(height) },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const p = await ctx.newPage();
    await p.goto(`file://${path.resolve(page)}`);
    await p.waitForLoadState('load');
    await p.screenshot({ path: png });
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
main().catch((e) => {
  process.stderr.write(`readme-picture: ${e.message}\n`);
  process.exit(1);
});
