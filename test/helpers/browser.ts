/**
 * Headless Chromium for the page tests: Debian's /usr/bin/chromium driven by playwright-core.
 * Suites use `describeBrowser`, which skips with a printed notice where either is missing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BrowserContext, Page } from 'playwright-core';

export type { BrowserContext, Page };

export const CHROMIUM = '/usr/bin/chromium';

type Playwright = typeof import('playwright-core');

let loaded: Playwright | string | undefined;

/** playwright-core, or why the browser tests cannot run. Required lazily: a missing package must only skip. */
function loadPlaywright(): Playwright | string {
  if (loaded === undefined) {
    if (!fs.existsSync(CHROMIUM)) {
      loaded = `${CHROMIUM} is absent`;
    } else {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        loaded = require('playwright-core') as Playwright;
      } catch {
        loaded = 'playwright-core cannot be required';
      }
    }
  }
  return loaded;
}

/** Why Chromium cannot be driven here, or undefined when it can. */
export function browserUnavailable(): string | undefined {
  const pw = loadPlaywright();
  return typeof pw === 'string' ? pw : undefined;
}

const noticed = new Set<string>();

/** `describe` for suites that need Chromium: skipped, with a printed notice, where it is unavailable. */
export function describeBrowser(name: string, fn: () => void): void {
  const reason = browserUnavailable();
  if (reason === undefined) {
    describe(name, fn);
    return;
  }
  if (!noticed.has(name)) {
    noticed.add(name);
    // eslint-disable-next-line no-console
    console.warn(`[skip] ${name}: ${reason}`);
  }
  describe.skip(name, fn);
}

export interface LaunchOptions {
  /** Page size in CSS pixels; 1280 x 900 unless given. */
  viewport?: { width: number; height: number };
}

/**
 * Headless Chromium on a fresh temporary profile (removed by the context's close()). The flags keep
 * it off the network: no background, component-update or sync traffic.
 */
export async function launchChromium(opts: LaunchOptions = {}): Promise<BrowserContext> {
  const pw = loadPlaywright();
  if (typeof pw === 'string') throw new Error(`cannot launch Chromium: ${pw}`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-chromium-'));
  let ctx: BrowserContext;
  try {
    ctx = await pw.chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: opts.viewport ?? { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (err) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  // The 'close' event fires before Chromium has exited and stopped writing the profile; close()
  // resolves after, so the profile goes there.
  const close = ctx.close.bind(ctx);
  ctx.close = async (options) => {
    try {
      await close(options);
    } finally {
      fs.rmSync(profile, { recursive: true, force: true });
    }
  };
  return ctx;
}

/**
 * Aborts every request whose URL is not in `allowed` (which the caller may grow later) and returns
 * the list the aborted URLs are recorded in, for tests to expect empty.
 */
export async function blockNetwork(ctx: BrowserContext, allowed: ReadonlySet<string>): Promise<string[]> {
  const blocked: string[] = [];
  await ctx.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed.has(url)) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  return blocked;
}

/** Collects the page's console errors and uncaught exceptions, for tests to expect empty. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}
