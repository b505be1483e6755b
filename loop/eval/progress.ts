/**
 * Progress of a long evaluation on stderr: on a terminal, one bar redrawn in place with the rate
 * and the ETA; otherwise (a log file, CI) a plain line now and then, so logs stay readable.
 */
import type { Writable } from 'node:stream';
import { createProgressBar } from '../../core/progress-bar.js';
import { EVAL_DEFAULTS } from './config.js';

export interface ProgressOptions {
  /** (cell, item) pairs to run now */
  total: number;
  /** pairs already finished before this run (shown, not counted in the rate) */
  resumed?: number;
  stream?: Writable & { isTTY?: boolean; columns?: number };
  /** force the terminal bar (true) or plain lines (false); default: the stream's isTTY */
  tty?: boolean;
  /** plain mode: a line at most this often (ms), and always at the end (default EVAL_DEFAULTS.progressIntervalMs) */
  intervalMs?: number;
  label?: string;
  now?: () => number;
}

export interface ProgressTick {
  /** whether the pair's final answer was right */
  correct?: boolean;
  error?: boolean;
}

export interface Progress {
  tick(t?: ProgressTick): void;
  /** a line that must not be overwritten by the bar (warnings) */
  note(line: string): void;
  done(): void;
  readonly completed: number;
}

/** "1:05:07", "3:09", "42s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** Rate (items/s) and ETA (s) after `done` of `total` in `elapsedMs`. */
export function rateAndEta(done: number, total: number, elapsedMs: number): { rate: number; eta: number } {
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  return { rate, eta: rate > 0 ? (total - done) / rate : Infinity };
}

export function createProgress(opts: ProgressOptions): Progress {
  const now = opts.now ?? (() => performance.now());
  const label = opts.label ?? 'eval';
  const intervalMs = opts.intervalMs ?? EVAL_DEFAULTS.progressIntervalMs;
  const t0 = now();
  let completed = 0;
  let correct = 0;
  let errors = 0;
  let lastLine = -Infinity;
  let printedAtEnd = false;

  const tail = () => {
    const { rate, eta } = rateAndEta(completed, opts.total, now() - t0);
    const accuracy = completed ? ` acc ${((100 * correct) / completed).toFixed(1)}%` : '';
    const err = errors ? ` ${errors} error(s)` : '';
    return `${rate.toFixed(2)} items/s ETA ${completed >= opts.total ? '0s' : formatDuration(eta)}${accuracy}${err}`;
  };
  const bar = createProgressBar({
    label,
    total: opts.total,
    stream: opts.stream,
    tty: opts.tty,
    status: () => `${completed}/${opts.total}${opts.resumed ? ` (+${opts.resumed} resumed)` : ''} ${tail()}`,
    line: (_v, final) => {
      // plain mode: the first line, then at most one per intervalMs, and the last always (once)
      const t = now();
      const atEnd = completed === opts.total;
      if (final ? atEnd && printedAtEnd : !atEnd && t - lastLine < intervalMs) return undefined;
      lastLine = t;
      printedAtEnd = atEnd;
      const resumed = opts.resumed ? `, ${opts.resumed} resumed` : '';
      return `${label}: ${completed}/${opts.total} done${resumed}, ${tail()}`;
    },
  });

  return {
    tick(t: ProgressTick = {}) {
      completed++;
      if (t.correct) correct++;
      if (t.error) errors++;
      bar.update(completed);
    },
    note: (line) => bar.note(line),
    done: () => bar.stop(),
    get completed() {
      return completed;
    },
  };
}
