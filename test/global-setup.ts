/**
 * Jest global setup: the CLI tests run the compiled CLI (node bin/senet.js), so build dist/ once
 * per run. Incremental (build info kept in dist/), so an unchanged tree costs a few seconds. Runs
 * restricted to other test paths skip the build.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

interface GlobalConfigLike {
  nonFlagArgs?: string[];
}

export default function globalSetup(globalConfig: GlobalConfigLike): void {
  const patterns = globalConfig.nonFlagArgs ?? [];
  if (patterns.length > 0 && !patterns.some((p) => p.includes('cli'))) return;
  const root = path.resolve(__dirname, '..');
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', path.join('dist', '.tsbuildinfo')],
    { cwd: root, encoding: 'utf8' },
  );
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
    throw new Error(`global-setup: building dist/ failed:\n${r.stdout}${r.stderr}`);
  }
  if (r.status !== 0) {
    // tsc still emits JavaScript on type errors; the type check itself is `npx tsc --noEmit`'s job.
    process.stderr.write('\n[global-setup] tsc reported type errors; dist/ was emitted anyway\n');
  }
}
