'use strict';
/**
 * Fuzz driver: a child process that runs `senet ARGS` in-process (dist/cli/main.js) for each job
 * the harness sends over IPC, capturing stdout/stderr and the exit code, and answers with the
 * result. One job at a time; the harness restarts it after a signal, a timeout or every N jobs.
 */
const path = require('path');
const { main } = require(path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js'));

const CAP = 4000;

async function runJob(job) {
  const out = [];
  const err = [];
  let outLen = 0;
  let errLen = 0;
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  const grab = (sink, which) => (chunk, enc, cb) => {
    const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (which === 'out' ? outLen < CAP : errLen < CAP) sink.push(s);
    if (which === 'out') outLen += s.length;
    else errLen += s.length;
    if (typeof enc === 'function') enc();
    else if (typeof cb === 'function') cb();
    return true;
  };
  process.stdout.write = grab(out, 'out');
  process.stderr.write = grab(err, 'err');
  process.exitCode = 0;
  const cwd = process.cwd();
  try {
    process.chdir(job.cwd);
    await main(job.argv);
  } catch (e) {
    err.push(`senet: internal error (escaped main): ${e && e.stack ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  } finally {
    process.chdir(cwd);
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { id: job.id, code, stdout: out.join('').slice(0, CAP), stdoutBytes: outLen, stderr: err.join('').slice(0, CAP), stderrBytes: errLen };
}

let queue = Promise.resolve();
process.on('message', (job) => {
  queue = queue.then(async () => {
    process.send({ type: 'start', id: job.id });
    const r = await runJob(job);
    process.send({ type: 'done', ...r });
  });
});
process.send({ type: 'ready' });
