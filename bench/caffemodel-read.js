#!/usr/bin/env node
/*
 * How fast and how lean readCaffemodel is on a big caffemodel, against `cat FILE > /dev/null` and
 * a bare fs.readFileSync of the same file (the cost of merely holding the file in fresh memory),
 * measured in the same run. Needs `npm run build` first.
 *
 *   node bench/caffemodel-read.js [FILE.caffemodel] [--rounds N]
 *
 * Default FILE: /tmp/senet154.caffemodel, made with the Caffe oracle:
 *   /opt/caffe-bullseye/bin/caffe-oracle init ../shared/reference/senet-official/SENet-154.prototxt \
 *     /tmp/senet154.caffemodel --seed 1
 *
 * Each measurement runs in a fresh child process, so peak RSS (maxRSS) is that of one read alone.
 * The minimum over the rounds is reported: the machine may be shared.
 *
 * Both reads are also run with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (glibc >= 2.35: big malloc'd
 * blocks get transparent huge pages). Where first touches of fresh memory are expensive (VMs), this
 * is what decides the time of holding a 440 MiB file in memory at all.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const DIST = path.resolve(__dirname, '..', 'dist', 'caffemodel', 'read.js');

function child(mode, file) {
  const t0 = process.hrtime.bigint();
  let info = '';
  if (mode === 'readCaffemodel') {
    const { readCaffemodel } = require(DIST);
    const m = readCaffemodel(file);
    let floats = 0;
    let blobs = 0;
    for (const l of m.layers) for (const b of l.blobs) {
      floats += b.data.length;
      blobs += 1;
    }
    info = `${m.format}, ${m.layers.length} layers, ${blobs} blobs, ${floats} floats`;
  } else if (mode === 'readFileSync') {
    const b = fs.readFileSync(file);
    info = `${b.length} bytes`;
  } else if (mode === 'baseline') {
    require(DIST); // node + module loading alone, for the RSS baseline
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ ms, maxRssKB: process.resourceUsage().maxRSS, info }) + '\n');
}

function runChild(mode, file, env) {
  const r = spawnSync(process.execPath, [__filename, '--child', mode, file], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${mode} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function timeCat(file) {
  const devnull = fs.openSync('/dev/null', 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('cat', [file], { stdio: ['ignore', devnull, 'inherit'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  fs.closeSync(devnull);
  if (r.status !== 0) throw new Error('cat failed');
  return ms;
}

function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1], args[2]);
  let rounds = 3;
  const ri = args.indexOf('--rounds');
  if (ri >= 0) {
    rounds = Number(args[ri + 1]);
    args.splice(ri, 2);
  }
  const file = args[0] || '/tmp/senet154.caffemodel';
  if (!fs.existsSync(file)) {
    console.error(`${file} is missing; see the header of ${path.relative(process.cwd(), __filename)} to make it`);
    process.exit(2);
  }
  if (!fs.existsSync(DIST)) {
    console.error(`${DIST} is missing: run npm run build first`);
    process.exit(2);
  }
  const size = fs.statSync(file).size;
  timeCat(file); // warm the page cache
  const best = { cat: Infinity, readFileSync: Infinity, readCaffemodel: Infinity, readFileSyncTHP: Infinity, readCaffemodelTHP: Infinity };
  const rss = { readFileSync: Infinity, readCaffemodel: Infinity, baseline: Infinity, readCaffemodelTHP: Infinity };
  const THP = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' };
  let info = '';
  for (let i = 0; i < rounds; i++) {
    best.cat = Math.min(best.cat, timeCat(file));
    const f = runChild('readFileSync', file);
    best.readFileSync = Math.min(best.readFileSync, f.ms);
    rss.readFileSync = Math.min(rss.readFileSync, f.maxRssKB);
    const c = runChild('readCaffemodel', file);
    best.readCaffemodel = Math.min(best.readCaffemodel, c.ms);
    rss.readCaffemodel = Math.min(rss.readCaffemodel, c.maxRssKB);
    info = c.info;
    rss.baseline = Math.min(rss.baseline, runChild('baseline', file).maxRssKB);
    best.readFileSyncTHP = Math.min(best.readFileSyncTHP, runChild('readFileSync', file, THP).ms);
    const ct = runChild('readCaffemodel', file, THP);
    best.readCaffemodelTHP = Math.min(best.readCaffemodelTHP, ct.ms);
    rss.readCaffemodelTHP = Math.min(rss.readCaffemodelTHP, ct.maxRssKB);
  }
  const mb = (kb) => (kb / 1024).toFixed(0);
  const fileMB = size / 1048576;
  console.log(`file: ${file} (${fileMB.toFixed(1)} MiB): ${info}`);
  console.log(`best of ${rounds} (ms):  cat ${best.cat.toFixed(0)}  readFileSync ${best.readFileSync.toFixed(0)}  readCaffemodel ${best.readCaffemodel.toFixed(0)}`);
  console.log(`readCaffemodel / cat:          ${(best.readCaffemodel / best.cat).toFixed(2)}x`);
  console.log(`readCaffemodel / readFileSync: ${(best.readCaffemodel / best.readFileSync).toFixed(2)}x`);
  console.log(
    `with ${THP.GLIBC_TUNABLES}: readFileSync ${best.readFileSyncTHP.toFixed(0)} ms, readCaffemodel ${best.readCaffemodelTHP.toFixed(0)} ms` +
      ` (${(best.readCaffemodelTHP / best.cat).toFixed(2)}x cat, peak RSS ${mb(rss.readCaffemodelTHP)} MiB)`,
  );
  console.log(
    `peak RSS (MiB): node baseline ${mb(rss.baseline)}  readFileSync ${mb(rss.readFileSync)}  readCaffemodel ${mb(rss.readCaffemodel)}` +
      ` = ${(rss.readCaffemodel / 1024 / fileMB).toFixed(2)}x the file`,
  );
}

main();
