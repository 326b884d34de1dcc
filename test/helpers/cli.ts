/**
 * Running the compiled CLI (node bin/senet.js; dist/ is built by test/global-setup.ts for test
 * paths that contain "cli").
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'senet.js');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `senet ARGS` from the project root, with `input` on stdin. */
export function senet(args: string[], input?: string): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, cwd: ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit 1, nothing on stdout, exactly one line on stderr and no stack trace. Returns the line. */
export function expectOneLineFailure(r: CliRun, pattern: RegExp): string {
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  return lines[0];
}
