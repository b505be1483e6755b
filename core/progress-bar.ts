/**
 * Progress of long work on stderr, one definition for every job that shows it (eval runs, model
 * downloads): on a terminal a cli-progress bar redrawn in place; otherwise plain lines the caller
 * words and paces, so a log file or CI output stays readable.
 */
import { SingleBar } from 'cli-progress';

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  label: string;
  /** the value at completion; 0 when unknown (then no bar, only the status) */
  total: number;
  stream?: ProgressStream;
  /** force the terminal bar (true) or plain lines (false); default: the stream's isTTY */
  tty?: boolean;
  /** the text after the bar (counts, rate, ETA), recomputed at every draw */
  status: (value: number) => string;
  /** plain mode: the line to print for this value, or undefined to stay quiet (final: the job ended) */
  line: (value: number, final: boolean) => string | undefined;
}

export interface ProgressBar {
  update(value: number): void;
  /** a line that the bar must not overwrite (a warning) */
  note(line: string): void;
  /** the last draw, then the bar is left on its own line; safe to call twice */
  stop(): void;
}

export function createProgressBar(o: ProgressBarOptions): ProgressBar {
  const stream = o.stream ?? process.stderr;
  const tty = o.tty ?? !!stream.isTTY;
  let value = 0;
  let stopped = false;
  if (!tty) {
    const say = (final: boolean) => {
      const line = o.line(value, final);
      if (line !== undefined) stream.write(`${line}\n`);
    };
    say(false);
    return {
      update(v) {
        value = v;
        if (!stopped) say(false);
      },
      note(line) {
        stream.write(`${line}\n`);
      },
      stop() {
        if (stopped) return;
        stopped = true;
        say(true);
      },
    };
  }
  const cols = Math.max(40, Math.min(160, stream.columns ?? 100));
  const bar = new SingleBar({
    // cli-progress only draws on a stream that says it is a terminal; `tty: true` forces one
    stream: (stream.isTTY
      ? stream
      : Object.assign(Object.create(stream as object), { isTTY: true })) as NodeJS.WriteStream,
    format: o.total > 0 ? `${o.label} [{bar}] {percentage}% {status}` : `${o.label} {status}`,
    barsize: Math.max(10, Math.min(40, cols - o.label.length - 60)),
    barCompleteChar: '█',
    barIncompleteChar: '░',
    autopadding: true,
    hideCursor: false,
    gracefulExit: false,
    // a note written between two frames must not leave the bar missing until the value changes
    forceRedraw: true,
  });
  bar.start(o.total, 0, { status: o.status(0) });
  return {
    update(v) {
      value = v;
      if (!stopped) bar.update(v, { status: o.status(v) });
    },
    note(line) {
      if (stopped) {
        stream.write(`${line}\n`);
        return;
      }
      stream.write(`\r\x1b[2K${line}\n`);
      bar.render();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.update(value, { status: o.status(value) });
      bar.stop();
    },
  };
}
