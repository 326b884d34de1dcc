import * as fs from 'fs';
import * as path from 'path';

/** ../shared beside the project root (read-only reference material); may be absent. */
export const SHARED_DIR = path.resolve(__dirname, '..', '..', '..', 'shared');

export function sharedAvailable(): boolean {
  return fs.existsSync(path.join(SHARED_DIR, 'README.md'));
}

export function sharedPath(...parts: string[]): string {
  return path.join(SHARED_DIR, ...parts);
}

const noticed = new Set<string>();

/**
 * `describe` for suites that read ../shared: skipped, with a printed notice, where it is absent.
 */
export function describeShared(name: string, fn: () => void): void {
  if (sharedAvailable()) {
    describe(name, fn);
  } else {
    if (!noticed.has(name)) {
      noticed.add(name);
      // eslint-disable-next-line no-console
      console.warn(`[skip] ${name}: ../shared is absent (${SHARED_DIR})`);
    }
    describe.skip(name, fn);
  }
}
