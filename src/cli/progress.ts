/**
 * Progress for long commands, one helper for all of them: a cli-progress bar on stderr when
 * stderr is a terminal, plain `senet: ...` lines otherwise (logs, CI), nothing when quiet.
 * Standard output stays free for results (tables, JSON).
 */
import type { SingleBar } from 'cli-progress';

/** Where progress goes: process.stderr, or a stand-in in tests. */
export interface ProgressStream {
  write(s: string): boolean;
  isTTY?: boolean;
}

export interface ProgressOptions {
  quiet?: boolean;
  stream?: ProgressStream;
}

export interface ProgressPhase {
  /** `done` of the phase's total; `detail` is shown after the count (a layer name, a rate). */
  update(done: number, detail?: string): void;
  /** Ends the phase (clears the bar). */
  end(): void;
}

export interface Progress {
  /** A one-off message line (`senet: <msg>`). */
  note(msg: string): void;
  /**
   * A counted phase: `senet: <label> [bar] done/total detail`. Plain-line mode prints a line each
   * time another 1/`lines` of the work is done (default 10) and one at the end.
   */
  phase(label: string, total: number, opts?: { lines?: number }): ProgressPhase;
  /** Ends any open phase. */
  stop(): void;
  readonly mode: 'bar' | 'lines' | 'quiet';
}

const NOOP_PHASE: ProgressPhase = { update: () => undefined, end: () => undefined };

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const mode: Progress['mode'] = opts.quiet ? 'quiet' : stream.isTTY === true ? 'bar' : 'lines';
  if (mode === 'quiet') return { note: () => undefined, phase: () => NOOP_PHASE, stop: () => undefined, mode };
  let open: ProgressPhase | undefined;

  const phase = (label: string, total: number, popts: { lines?: number } = {}): ProgressPhase => {
    open?.end();
    let ended = false;
    let current: ProgressPhase;
    if (mode === 'bar') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const cp = require('cli-progress') as typeof import('cli-progress');
      const bar: SingleBar = new cp.SingleBar(
        { format: `senet: ${label} [{bar}] {value}/{total} {detail}`, stream: stream as NodeJS.WritableStream, clearOnComplete: true, hideCursor: false },
        cp.Presets.shades_classic,
      );
      bar.start(total, 0, { detail: '' });
      current = {
        update: (done, detail) => {
          if (!ended) bar.update(done, { detail: detail ?? '' });
        },
        end: () => {
          if (ended) return;
          ended = true;
          bar.stop();
        },
      };
    } else {
      const steps = Math.max(1, popts.lines ?? 10);
      let last = -1;
      current = {
        update: (done, detail) => {
          if (ended) return;
          const step = Math.floor((done * steps) / Math.max(1, total));
          if (step === last && done !== total) return;
          last = step;
          stream.write(`senet: ${label} ${done}/${total}${detail ? ` ${detail}` : ''}\n`);
          // The last line is final: later updates (a repeated total) print nothing.
          if (done >= total) ended = true;
        },
        end: () => {
          ended = true;
        },
      };
    }
    open = current;
    return current;
  };

  return {
    mode,
    note: (msg) => {
      // A note ends a bar first, so the two never share a line.
      open?.end();
      open = undefined;
      stream.write(`senet: ${msg}\n`);
    },
    phase,
    stop: () => {
      open?.end();
      open = undefined;
    },
  };
}
