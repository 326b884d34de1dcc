/**
 * A short seeded run of the fuzz campaign (tools/fuzz, `npm run fuzz` runs the long one): malformed
 * prototxts, caffemodels, .npy files, images and model folders through the CLI, one process at a
 * time under a memory limit. Any internal error, signal, timeout, crash, exit code outside 0/1/2
 * or output left behind fails the test, listing the offending commands.
 */
import * as path from 'path';
import { ROOT } from '../helpers/cli';

interface Finding {
  run: number;
  verdict: string;
  target: string;
  kind: string;
  argv: string[];
  stderr: string;
}
interface CampaignResult {
  counts: Record<string, number>;
  findings: Finding[];
  seconds: number;
}
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { runCampaign } = require(path.join(ROOT, 'tools', 'fuzz', 'campaign.js')) as {
  runCampaign(opts: { seed: number; runs: number; timeoutMs: number; memMB: number }): Promise<CampaignResult>;
};

const RUNS = 200;

it(`${RUNS} seeded malformed inputs: no internal error, signal, timeout or leftover`, async () => {
  const r = await runCampaign({ seed: 11, runs: RUNS, timeoutMs: 30000, memMB: 4096 });
  const shown = r.findings.map((f) => `${f.verdict} (run ${f.run}, ${f.target}/${f.kind}): senet ${f.argv.join(' ')}\n  ${f.stderr.split('\n')[0]}`);
  process.stderr.write(`fuzz: ${JSON.stringify(r.counts)} in ${r.seconds.toFixed(0)} s\n`);
  expect(shown).toEqual([]);
  expect(r.counts.runs).toBe(RUNS);
  // The campaign exercises both sides: inputs that still work and inputs that are refused.
  expect(r.counts.ok).toBeGreaterThan(0);
  expect(r.counts.error).toBeGreaterThan(RUNS / 4);
}, 600000);
