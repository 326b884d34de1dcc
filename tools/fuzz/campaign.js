'use strict';
/**
 * The fuzz campaign: seeded mutations of valid inputs (mutate.js) run through the CLI, one job at
 * a time in a driver process (driver.js) under a memory limit, each classified as
 *   ok / error   exit 0, or a one-line error with exit 1 or 2 (what bad input should give);
 *   internal     "internal error" or a stack trace on stderr;
 *   badexit      an exit code outside the contract (0, 1, 2);
 *   signal       the process died by a signal (V8 out of memory aborts, SIGSEGV, ...);
 *   timeout      no answer within the time limit (the driver is killed);
 *   leftover     a temporary file left behind, or an output written by a failed command.
 * Anything but ok/error is a finding, reported with its seed, run number and command.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const M = require('./mutate');

const ROOT = path.join(__dirname, '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures');

/** Valid inputs every mutation starts from, made once per campaign in `dir`. */
async function makeCorpus(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const copy = (from, name) => {
    const to = path.join(dir, name);
    fs.copyFileSync(from, to);
    return to;
  };
  const c = {
    tinyNet: copy(path.join(FIX, 'caffemodel', 'tiny.prototxt'), 'tiny.prototxt'),
    tinyWeights: copy(path.join(FIX, 'caffemodel', 'tiny.caffemodel'), 'tiny.caffemodel'),
    convNet: copy(path.join(FIX, 'parity', 'conv', 'net.prototxt'), 'conv.prototxt'),
    convWeights: copy(path.join(FIX, 'parity', 'conv', 'weights.caffemodel'), 'conv.caffemodel'),
    convInput: copy(path.join(FIX, 'parity', 'conv', 'input.npy'), 'conv-input.npy'),
    convRef: copy(path.join(FIX, 'parity', 'conv', 'blobs.npz'), 'conv-blobs.npz'),
    seNet: copy(path.join(FIX, 'senet-official', 'SE-ResNet-50.prototxt'), 'SE-ResNet-50.prototxt'),
    model: path.join(dir, 'model'),
    input: path.join(dir, 'x.npy'),
    png: path.join(dir, 'img.png'),
    jpg: path.join(dir, 'img.jpg'),
  };
  const { convertFiles } = require(path.join(ROOT, 'dist', 'convert'));
  if (!fs.existsSync(c.model)) await convertFiles(c.tinyNet, c.tinyWeights, c.model, { quiet: true });
  fs.writeFileSync(c.input, M.npyBytes('<f4', [1, 3, 7, 7], 147 * 4));
  const sharp = require('sharp');
  const raw = Buffer.alloc(16 * 16 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 256;
  await sharp(raw, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(c.png);
  await sharp(raw, { raw: { width: 16, height: 16, channels: 3 } }).jpeg().toFile(c.jpg);
  c.modelJson = JSON.parse(fs.readFileSync(path.join(c.model, 'model.json'), 'utf8'));
  return c;
}

/** One job: the files to write into its folder and the command to run. Pure function of (seed, run). */
function makeJob(seed, run, c, dir) {
  const r = M.prng((seed * 1000003) ^ (run * 7919));
  const out = path.join(dir, 'out');
  const target = r.pick(['prototxt', 'prototxt', 'prototxt', 'caffemodel', 'caffemodel', 'npy', 'image', 'model', 'stream']);
  const write = (name, data) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, data);
    return p;
  };
  switch (target) {
    case 'prototxt': {
      const base = r.pick([[c.tinyNet, c.tinyWeights], [c.tinyNet, c.tinyWeights], [c.convNet, c.convWeights], [c.convNet, c.convWeights], [c.seNet, undefined]]);
      const m = M.textMutate(r, fs.readFileSync(base[0], 'utf8'));
      const f = write('net.prototxt', m.bytes ?? m.text);
      const cmds = [['fmt', f], ['summary', f], ['upgrade', f, '-o', `${out}.prototxt`], ['show', f, '-o', `${out}.html`, '-q']];
      if (base[1] !== undefined) cmds.push(['convert', f, base[1], '-o', out, '-q'], ['init-weights', f, '-o', `${out}.caffemodel`]);
      return { target, kind: m.kind, argv: r.pick(cmds), outputs: [out, `${out}.prototxt`, `${out}.html`, `${out}.caffemodel`] };
    }
    case 'caffemodel': {
      const base = r.pick([[c.tinyNet, c.tinyWeights], [c.convNet, c.convWeights]]);
      const bytes = fs.readFileSync(base[1]);
      const kind = r.chance(0.25) ? 'wireBomb' : r.pick(Object.keys(M.BYTE_MUTATORS));
      const f = write('w.caffemodel', kind === 'wireBomb' ? M.wireBomb(r, bytes) : M.BYTE_MUTATORS[kind](r, bytes));
      const argv = base[1] === c.convWeights && r.chance(0.3)
        ? ['parity', base[0], f, '-i', c.convInput, '-r', c.convRef, '-q']
        : ['convert', base[0], f, '-o', out, '-q', ...(r.chance(0.3) ? ['--strict'] : [])];
      return { target, kind, argv, outputs: [out] };
    }
    case 'npy': {
      const m = M.npyMutate(r, fs.readFileSync(c.input), [1, 3, 7, 7]);
      const f = write('x.npy', m.bytes);
      const blobs = r.chance(0.3) ? ['--blob', r.pick(['constructor', 'prob', '__proto__', 'conv1', 'nope']), '--blob', 'prob'] : [];
      const o = blobs.length > 0 ? `${out}.npz` : `${out}.npy`;
      return { target, kind: m.kind, argv: ['run', c.model, '-i', f, '-o', o, '-q', ...blobs], outputs: [o] };
    }
    case 'image': {
      const src = r.pick([c.png, c.jpg]);
      const kind = r.pick(Object.keys(M.BYTE_MUTATORS));
      const f = write(`img${path.extname(src)}`, M.BYTE_MUTATORS[kind](r, fs.readFileSync(src)));
      return { target, kind, argv: ['predict', c.model, f, c.png], outputs: [] };
    }
    case 'model': {
      const m = M.modelJsonMutate(r, c.modelJson);
      const d = path.join(dir, 'model');
      fs.mkdirSync(d);
      for (const n of fs.readdirSync(c.model)) fs.copyFileSync(path.join(c.model, n), path.join(d, n));
      fs.writeFileSync(path.join(d, 'model.json'), m.bytes ?? JSON.stringify(m.json));
      if (m.shard === 'truncate') {
        const s = path.join(d, 'group1-shard1of1.bin');
        fs.truncateSync(s, r.int(fs.statSync(s).size));
      }
      const argv = r.chance(0.7) ? ['run', d, '-i', c.input, '-o', `${out}.npy`, '-q'] : ['predict', d, c.png];
      return { target, kind: m.kind, argv, outputs: [`${out}.npy`] };
    }
    case 'stream': {
      const kind = r.pick(['devzero', 'devnull', 'folder']);
      const f = kind === 'devzero' ? '/dev/zero' : kind === 'devnull' ? '/dev/null' : dir;
      const argv = r.pick([['fmt', f], ['summary', f], ['convert', f, c.tinyWeights, '-o', out, '-q'], ['convert', c.tinyNet, f, '-o', out, '-q'], ['run', c.model, '-i', f, '-o', `${out}.npy`, '-q']]);
      return { target, kind, argv, outputs: [out, `${out}.npy`] };
    }
  }
  throw new Error(`unknown target ${target}`);
}

/** A driver process under the memory limit; `send(job)` resolves with the driver's answer or a failure. */
function startDriver(memMB) {
  const kb = memMB * 1024;
  const child = spawn('sh', ['-c', `ulimit -d ${kb} 2>/dev/null; exec "${process.execPath}" --max-old-space-size=${Math.floor(memMB * 0.75)} "${path.join(__dirname, 'driver.js')}"`], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let nativeErr = '';
  child.stderr.on('data', (d) => {
    if (nativeErr.length < 4000) nativeErr += d.toString();
  });
  let pending;
  let exited;
  const ready = new Promise((resolve, reject) => {
    child.on('message', (msg) => {
      if (msg.type === 'ready') resolve();
      else if (msg.type === 'done' && pending) {
        const p = pending;
        pending = undefined;
        p.resolve({ status: 'answered', ...msg, nativeStderr: nativeErr });
        nativeErr = '';
      }
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      reject(new Error(`driver exited before it was ready (${signal ?? code}): ${nativeErr}`));
      if (pending) {
        const p = pending;
        pending = undefined;
        p.resolve({ status: signal ? 'signal' : 'crash', code, signal, nativeStderr: nativeErr });
      }
    });
  });
  return {
    ready,
    send(job, timeoutMs) {
      if (exited) return Promise.resolve({ status: 'crash', code: exited.code, signal: exited.signal, nativeStderr: nativeErr });
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          if (!pending) return;
          pending = undefined;
          child.kill('SIGKILL');
          resolve({ status: 'timeout', nativeStderr: nativeErr });
        }, timeoutMs);
        pending = { resolve: (v) => { clearTimeout(timer); resolve(v); } };
        child.send(job);
      });
    },
    stop() {
      if (!exited) child.kill('SIGKILL');
    },
    get alive() {
      return exited === undefined;
    },
  };
}

function leftovers(dir, job, code) {
  const found = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.includes('.senet-tmp-') || /\.tmp-/.test(e.name)) found.push(path.join(d, e.name));
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(dir);
  for (const t of fs.readdirSync(os.tmpdir())) if (t.includes('.senet-tmp-') && t.includes(`-${job.driverPid}-`)) found.push(t);
  if (code !== 0) for (const o of job.outputs) if (fs.existsSync(o)) found.push(`${o} (written by a failed command)`);
  return found;
}

/** Classifies one answer; undefined when the run is fine (ok or a clean error). */
function classify(ans, dir, job) {
  if (ans.status === 'timeout') return 'timeout';
  if (ans.status === 'signal') return 'signal';
  if (ans.status === 'crash') return 'crash';
  if (/internal error|\n\s+at \S+.*\(.*:\d+:\d+\)/.test(ans.stderr)) return 'internal';
  if (![0, 1, 2].includes(ans.code)) return 'badexit';
  if (leftovers(dir, job, ans.code).length > 0) return 'leftover';
  return undefined;
}

/**
 * Runs `runs` jobs from `seed`. Options: timeoutMs (per job), memMB (driver limit), workDir,
 * restartEvery (fresh driver every N jobs), onProgress(counts, run), keepFindings (max listed).
 */
async function runCampaign(opts) {
  const seed = opts.seed ?? 1;
  const runs = opts.runs ?? 100;
  const timeoutMs = opts.timeoutMs ?? 60000;
  const memMB = opts.memMB ?? 4096;
  const restartEvery = opts.restartEvery ?? 200;
  const work = opts.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'senet-fuzz-'));
  const corpus = await makeCorpus(path.join(work, 'corpus'));
  const counts = { runs: 0, ok: 0, error: 0, internal: 0, signal: 0, timeout: 0, leftover: 0, crash: 0, badexit: 0 };
  const byTarget = {};
  const findings = [];
  let driver;
  let sinceStart = 0;
  const t0 = Date.now();
  try {
    for (let run = 0; run < runs; run++) {
      if (driver === undefined || !driver.alive || sinceStart >= restartEvery) {
        driver?.stop();
        driver = startDriver(memMB);
        await driver.ready;
        sinceStart = 0;
      }
      const dir = path.join(work, `run-${run}`);
      fs.mkdirSync(dir);
      const job = makeJob(seed, run, corpus, dir);
      const ans = await driver.send({ id: run, argv: job.argv, cwd: dir }, timeoutMs);
      sinceStart++;
      const verdict = classify(ans, dir, job);
      counts.runs++;
      const t = (byTarget[job.target] ??= { runs: 0, findings: 0 });
      t.runs++;
      if (verdict === undefined) {
        counts[ans.code === 0 ? 'ok' : 'error']++;
        fs.rmSync(dir, { recursive: true, force: true });
      } else {
        counts[verdict]++;
        t.findings++;
        if (findings.length < (opts.keepFindings ?? 200)) {
          findings.push({ run, seed, verdict, target: job.target, kind: job.kind, argv: job.argv, code: ans.code, signal: ans.signal, stderr: (ans.stderr ?? '').slice(0, 600), nativeStderr: (ans.nativeStderr ?? '').slice(0, 600), dir });
        }
        if (verdict === 'timeout' || verdict === 'signal' || verdict === 'crash') driver = undefined;
      }
      opts.onProgress?.(counts, run, (Date.now() - t0) / 1000);
    }
  } finally {
    driver?.stop();
    if (!opts.keepWork && findings.length === 0) fs.rmSync(work, { recursive: true, force: true });
  }
  return { seed, counts, byTarget, findings, seconds: (Date.now() - t0) / 1000, work };
}

module.exports = { runCampaign, makeJob, makeCorpus, classify };
