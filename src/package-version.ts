/** This package's version from its package.json, recorded in the files the converter writes. */
import * as fs from 'fs';
import * as path from 'path';

let cached: string | undefined;

/** 'unknown' when package.json cannot be read (src/ and dist/ are both one level below the root). */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
      cached = pkg.version ?? 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
