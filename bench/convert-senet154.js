#!/usr/bin/env node
/*
 * How fast and how lean `senet convert` is on SENet-154 (a 461 MB caffemodel), against
 * `cat FILE > /dev/null` and a bare fs.readFileSync of the same file, measured in the same run
 * (the machine may be shared: the ratios are what to compare). Needs `npm run build` first.
 *
 *   node bench/convert-senet154.js [--prototxt P] [--caffemodel F] [--rounds N]
 *
 * The caffemodel: --caffemodel, else /tmp/senet154.caffemodel when present (made with the Caffe
 * oracle: caffe-oracle init SENet-154.prototxt /tmp/senet154.caffemodel --seed 1), else our own
 * `senet init-weights --seed 1`, cached in the OS temp folder.
 *
 * Every measurement runs in a fresh child process, so its peak RSS (maxRSS) is its own. Reported:
 * the minimum time over the rounds, for convertFiles inside node (after module loading) and for
 * the whole CLI process (node start-up included); peak RSS of the conversion / file size.
 *
 * The target (issue 4): convertFiles under 3x the time Python protobuf's C++ parser takes just to
 * parse the same file (NetParameter.ParseFromString), measured in the same run when python3 with
 * the protobuf module and protoc are installed (Debian: python3-protobuf protobuf-compiler; bench
 * only, not a dependency of the package); caffe_pb2 is generated from proto/caffe.proto into a
 * temp folder. Without them issue 4's reference number is printed instead.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const CLI = path.join(ROOT, 'bin', 'senet.js');
const DEFAULT_PROTO = path.resolve(ROOT, '..', 'shared', 'reference', 'senet-official', 'SENet-154.prototxt');
const ORACLE_MODEL = '/tmp/senet154.caffemodel';
// Python protobuf (C++) parse of this file measured elsewhere, for when it cannot be measured here.
const PYTHON_PARSE_REFERENCE = '0.25-0.35 s (issue 4, measured on a machine like the target)';

const PY_PARSE = `
import sys, time
sys.path.insert(0, sys.argv[1])
from google.protobuf.internal import api_implementation
import caffe_pb2
data = open(sys.argv[2], 'rb').read()
best = float('inf')
for _ in range(int(sys.argv[3])):
    net = caffe_pb2.NetParameter()
    t = time.perf_counter()
    net.ParseFromString(data)
    best = min(best, time.perf_counter() - t)
    del net
print(api_implementation.Type(), best * 1000)
`;

/**
 * Best-of-rounds time of python protobuf parsing `model` (the file already in memory), and which
 * implementation ran ('cpp' or 'upb' are the C/C++ parsers); or why it could not be measured.
 */
function timePythonParse(model, rounds, work) {
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const gen = path.join(work, 'pb');
  fs.mkdirSync(gen);
  fs.copyFileSync(path.join(ROOT, 'proto', 'caffe.proto'), path.join(gen, 'caffe.proto'));
  const protoc = spawnSync('protoc', ['--python_out=.', 'caffe.proto'], { cwd: gen, encoding: 'utf8' });
  if (protoc.error || protoc.status !== 0) return { error: `protoc unavailable (${protoc.error ? protoc.error.code : protoc.stderr.trim()})` };
  const r = spawnSync(python, ['-c', PY_PARSE, gen, model, String(rounds)], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { error: `python protobuf unavailable (${r.error ? r.error.code : r.stderr.trim().split('\n').pop()})` };
  const [impl, ms] = r.stdout.trim().split(/\s+/);
  return { impl, ms: Number(ms) };
}

async function child(mode, args) {
  const t0 = process.hrtime.bigint();
  let info = '';
  if (mode === 'convert') {
    const { convertFiles } = require(path.join(DIST, 'convert'));
    const loaded = process.hrtime.bigint();
    const [proto, model, out] = args;
    const r = await convertFiles(proto, model, out, { quiet: true, force: true });
    const ms = Number(process.hrtime.bigint() - loaded) / 1e6;
    info = `${r.layers} layers, ${r.folded.length} folded, ${r.modelJson.weightsManifest[0].paths.length} shards, ${r.weightBytes} weight bytes`;
    process.stdout.write(JSON.stringify({ ms, maxRssKB: process.resourceUsage().maxRSS, info }) + '\n');
    return;
  }
  if (mode === 'readFileSync') info = `${fs.readFileSync(args[0]).length} bytes`;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ ms, maxRssKB: process.resourceUsage().maxRSS, info }) + '\n');
}

function runChild(mode, args) {
  const r = spawnSync(process.execPath, [__filename, '--child', mode, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${mode} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function timed(cmd, args, opts) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, opts);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return { ms, r };
}

function timeCat(file) {
  const devnull = fs.openSync('/dev/null', 'w');
  try {
    return timed('cat', [file], { stdio: ['ignore', devnull, 'inherit'] }).ms;
  } finally {
    fs.closeSync(devnull);
  }
}

/** The whole `senet convert` process: wall time, and peak RSS from /usr/bin/time -v when present. */
function timeCli(proto, model, out) {
  const args = [CLI, 'convert', proto, model, '-o', out, '--force', '-q'];
  if (fs.existsSync('/usr/bin/time')) {
    const { ms, r } = timed('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8' });
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    return { ms, maxRssKB: m ? Number(m[1]) : NaN };
  }
  return { ms: timed(process.execPath, args, { encoding: 'utf8' }).ms, maxRssKB: NaN };
}

function option(args, name, dflt) {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

function caffemodelFor(proto, given) {
  if (given !== undefined) return given;
  if (fs.existsSync(ORACLE_MODEL)) return ORACLE_MODEL;
  const cached = path.join(os.tmpdir(), 'senet-caffe-bench-senet154-seed1.caffemodel');
  if (!fs.existsSync(cached)) {
    console.error(`making ${cached} with senet init-weights (once)...`);
    timed(process.execPath, [CLI, 'init-weights', proto, '-o', cached, '--seed', '1'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return cached;
}

function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1], args.slice(2));
  const rounds = Number(option(args, '--rounds', '3'));
  const proto = option(args, '--prototxt', DEFAULT_PROTO);
  const given = option(args, '--caffemodel', undefined);
  if (!fs.existsSync(path.join(DIST, 'convert', 'index.js'))) {
    console.error(`${DIST} is missing: run npm run build first`);
    process.exit(2);
  }
  if (!fs.existsSync(proto)) {
    console.error(`${proto} is missing; give --prototxt SENet-154.prototxt`);
    process.exit(2);
  }
  const model = caffemodelFor(proto, given);
  const size = fs.statSync(model).size;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-bench-convert-'));
  const out = path.join(work, 'model');
  try {
    timeCat(model); // warm the page cache
    const best = { cat: Infinity, readFileSync: Infinity, convert: Infinity, cli: Infinity };
    const rss = { readFileSync: Infinity, convert: Infinity, cli: Infinity, baseline: Infinity };
    let info = '';
    for (let i = 0; i < rounds; i++) {
      best.cat = Math.min(best.cat, timeCat(model));
      const f = runChild('readFileSync', [model]);
      best.readFileSync = Math.min(best.readFileSync, f.ms);
      rss.readFileSync = Math.min(rss.readFileSync, f.maxRssKB);
      rss.baseline = Math.min(rss.baseline, runChild('baseline', []).maxRssKB);
      const c = runChild('convert', [proto, model, out]);
      best.convert = Math.min(best.convert, c.ms);
      rss.convert = Math.min(rss.convert, c.maxRssKB);
      info = c.info;
      const k = timeCli(proto, model, out);
      best.cli = Math.min(best.cli, k.ms);
      rss.cli = Math.min(rss.cli, k.maxRssKB);
    }
    const MiB = 1048576;
    const fileMiB = size / MiB;
    const r = (a, b) => `${(a / b).toFixed(2)}x`;
    console.log(`${path.basename(proto)} + ${model} (${fileMiB.toFixed(1)} MiB): ${info}`);
    console.log(`best of ${rounds} (ms): cat ${best.cat.toFixed(0)}  readFileSync ${best.readFileSync.toFixed(0)}  convertFiles ${best.convert.toFixed(0)}  senet convert (whole process) ${best.cli.toFixed(0)}`);
    console.log(`convertFiles / cat ${r(best.convert, best.cat)}   convertFiles / readFileSync ${r(best.convert, best.readFileSync)}   senet convert / readFileSync ${r(best.cli, best.readFileSync)}`);
    const mib = (kb) => (kb / 1024).toFixed(0);
    const py = timePythonParse(model, rounds, work);
    if (py.error !== undefined) {
      console.log(`python protobuf parse: not measured, ${py.error}; reference ${PYTHON_PARSE_REFERENCE}`);
    } else {
      const fast = py.impl === 'cpp' || py.impl === 'upb';
      console.log(
        `python protobuf parse (${py.impl}${fast ? '' : ', NOT the C++ parser'}) best of ${rounds}: ${py.ms.toFixed(0)} ms   convertFiles / python parse ${r(best.convert, py.ms)} (target < 3x)`,
      );
    }
    console.log(
      `peak RSS (MiB): node baseline ${mib(rss.baseline)}  readFileSync ${mib(rss.readFileSync)}  convertFiles ${mib(rss.convert)} = ${r(rss.convert / 1024, fileMiB)} the file` +
        (Number.isFinite(rss.cli) ? `  senet convert ${mib(rss.cli)} = ${r(rss.cli / 1024, fileMiB)}` : '') +
        '  (target < 1.5x)',
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
