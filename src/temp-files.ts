/**
 * Our temporary files and folders (written beside an output, then renamed into place). Their
 * names carry a marker and the writer's process id, `.NAME.senet-tmp-PID-RANDOM`, so that:
 * - on SIGINT/SIGTERM/SIGHUP the live ones are removed before the process dies by that signal;
 * - ones left by a process that died anyway (SIGKILL, power loss) are recognised as ours and
 *   removed by the next write into the same folder, once their process is gone.
 */
import * as fs from 'fs';
import * as path from 'path';

const MARK = '.senet-tmp-';
const STALE = /^\..*\.senet-tmp-(\d+)-[0-9a-z]+$/;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const live = new Set<string>();

/** A fresh temporary name beside `target` (same folder, hence same file system for the rename). */
export function tempPathFor(target: string): string {
  const abs = path.resolve(target);
  const rand = Math.random().toString(36).slice(2, 10) || '0';
  return path.join(path.dirname(abs), `.${path.basename(abs)}${MARK}${process.pid}-${rand}`);
}

function removeAll(): void {
  for (const p of live) {
    try {
      fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // best effort: the process is going down
    }
  }
  live.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  removeAll();
  uninstall();
  // Die by the same signal, so the parent sees what happened (exit status 128 + n in a shell).
  process.kill(process.pid, sig);
}

function onExit(): void {
  removeAll();
}

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('exit', onExit);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off('exit', onExit);
}

/**
 * Registers a temporary path: it is removed if the process is interrupted before `release`.
 * Signal handlers exist only while some temporary is live, so an interrupt at any other time
 * keeps its default (immediate) effect.
 */
export function holdTemp(p: string): void {
  live.add(p);
  install();
}

/** The temporary was renamed into place or removed: no longer ours to clean. */
export function releaseTemp(p: string): void {
  live.delete(p);
  if (live.size === 0) uninstall();
}

/** Removes `p` (file or folder) and releases it. */
export function discardTemp(p: string): void {
  try {
    fs.rmSync(p, { recursive: true, force: true });
  } finally {
    releaseTemp(p);
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Removes temporaries of ours in `dir` whose process has ended. Returns the names removed. */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = STALE.exec(name);
    if (m === null || processAlive(Number(m[1]))) continue;
    try {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // not ours to fight over (permissions): leave it
    }
  }
  return removed;
}

/** True for a name made by tempPathFor (the fuzz harness and tests look for leftovers). */
export function isTempName(name: string): boolean {
  return STALE.test(name);
}
