'use strict';
/**
 * `npm run fuzz -- [--runs N] [--seed S] [--timeout SEC] [--mem MB] [--json FILE]`: the seeded
 * mutation campaign of issue 11 (see campaign.js). Prints progress and the counts; exits 1 when
 * anything but ok / clean errors happened, with each finding's seed, run and command.
 */
const { runCampaign } = require('./campaign');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

async function main() {
  const runs = Number(arg('runs', '10000'));
  const seed = Number(arg('seed', '1'));
  const timeoutMs = Number(arg('timeout', '60')) * 1000;
  const memMB = Number(arg('mem', '4096'));
  const jsonFile = arg('json', undefined);
  let last = 0;
  const r = await runCampaign({
    runs, seed, timeoutMs, memMB, keepWork: true,
    onProgress: (c, run, s) => {
      if (Date.now() - last > 10000 || run === runs - 1) {
        last = Date.now();
        process.stderr.write(`fuzz: ${c.runs}/${runs} runs, ${s.toFixed(0)} s: ok ${c.ok}, error ${c.error}, internal ${c.internal}, signal ${c.signal}, timeout ${c.timeout}, leftover ${c.leftover}, crash ${c.crash}, badexit ${c.badexit}\n`);
      }
    },
  });
  for (const f of r.findings) process.stdout.write(`${f.verdict}: seed ${f.seed} run ${f.run} (${f.target}/${f.kind}): senet ${f.argv.join(' ')}\n  ${f.stderr.split('\n').slice(0, 3).join('\n  ')}\n`);
  process.stdout.write(`${JSON.stringify({ seed: r.seed, seconds: r.seconds, counts: r.counts, byTarget: r.byTarget })}\n`);
  if (jsonFile) require('fs').writeFileSync(jsonFile, JSON.stringify(r, null, 2));
  const bad = r.counts.internal + r.counts.signal + r.counts.timeout + r.counts.leftover + r.counts.crash + r.counts.badexit;
  process.exitCode = bad > 0 ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`fuzz: ${e.stack}\n`);
  process.exitCode = 2;
});
