/**
 * Model downloads: streamed to a temporary file beside the target and renamed only once complete
 * (an interrupted download never leaves a file at the final path), with a progress bar on a TTY and
 * plain lines otherwise. Any failure is a VantageError that names the URL and the path to put the
 * file at by hand.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { VantageError } from '../../core/errors.js';
import { formatBytes } from '../../core/io/files.js';
import { createProgressBar, type ProgressStream } from '../../core/progress-bar.js';
import { modelUrl, type KnownDepthModel } from './models.js';

export interface Progress {
  /** bytes received so far */
  update(received: number): void;
  done(received: number): void;
  fail(): void;
}

/** A download's progress (core/progress-bar.ts): a bar on a TTY, a line per 10 % otherwise. */
export function createProgress(
  label: string,
  total: number | undefined,
  stream: ProgressStream = process.stderr,
  now: () => number = Date.now,
): Progress {
  const start = now();
  let lastDecile = -1;
  let ended = false;
  const rate = (n: number) => `${formatBytes(n / Math.max(0.001, (now() - start) / 1000))}/s`;
  const bar = createProgressBar({
    label,
    total: total ?? 0,
    stream,
    status: (n) => `${formatBytes(n)}${total ? ` / ${formatBytes(total)}` : ''} ${rate(n)}`,
    line: (n, final) => {
      if (final)
        return ended ? `${label}: done, ${formatBytes(n)} in ${((now() - start) / 1000).toFixed(1)} s` : undefined;
      if (lastDecile < 0 && n === 0) {
        lastDecile = 0;
        return `${label}: downloading${total ? ` ${formatBytes(total)}` : ''}`;
      }
      if (!total) return undefined;
      const decile = Math.floor((n / total) * 10);
      if (decile <= lastDecile || decile >= 10) return undefined;
      lastDecile = decile;
      return `${label}: ${decile * 10}% (${formatBytes(n)} of ${formatBytes(total)})`;
    },
  });
  return {
    update: (n) => bar.update(n),
    done(n) {
      ended = true;
      bar.update(n);
      bar.stop();
    },
    fail: () => bar.stop(),
  };
}

export interface DownloadOptions {
  /** progress display; false for none (default: stderr) */
  progress?: ProgressStream | false;
  /** label of the progress display (default: the file name) */
  label?: string;
  signal?: AbortSignal;
}

const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

function reasonOf(e: unknown): { reason: string; network: boolean } {
  let cur: unknown = e;
  const parts: string[] = [];
  let network = false;
  for (let depth = 0; cur && depth < 4; depth++) {
    const err = cur as { code?: string; message?: string; cause?: unknown };
    if (err.code && NETWORK_CODES.has(err.code)) network = true;
    const msg = err.code
      ? `${err.code}${err.message && !err.message.includes(err.code) ? ` ${err.message}` : ''}`
      : err.message;
    if (msg && !parts.includes(msg)) parts.push(msg);
    cur = err.cause;
  }
  return { reason: parts.join(': ') || String(e), network };
}

/**
 * Fetch url into target: streamed to `<target>.<random>.part`, checked against Content-Length, then
 * renamed. On any failure the partial file is removed and nothing is left at target.
 */
export async function downloadFile(
  url: string,
  target: string,
  opts: DownloadOptions = {},
): Promise<{ path: string; bytes: number }> {
  const label = opts.label ?? basename(target);
  const manual = `download ${url} yourself and save it as ${target}`;
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  let progress: Progress | undefined;
  let received = 0;
  try {
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'follow', signal: opts.signal });
    } catch (e) {
      const { reason, network } = reasonOf(e);
      throw new VantageError(
        'model-download-failed',
        `cannot download ${label} from ${url}: ${reason}${network ? ' (offline?)' : ''}`,
        manual,
        { cause: e },
      );
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new VantageError(
        'model-download-failed',
        `cannot download ${label}: ${url} answered ${res.status} ${res.statusText}`.trim(),
        manual,
      );
    }
    const lengthHeader = res.headers.get('content-length');
    const total = lengthHeader && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    progress = opts.progress === false ? undefined : createProgress(label, total, opts.progress ?? process.stderr);
    const p = progress;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        p?.update(received);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
        counter,
        createWriteStream(tmp, { flags: 'wx' }),
      );
    } catch (e) {
      const { reason, network } = reasonOf(e);
      throw new VantageError(
        'model-download-failed',
        `download of ${label} from ${url} broke off after ${formatBytes(received)}${total ? ` of ${formatBytes(total)}` : ''}: ${reason}${network ? ' (connection lost?)' : ''}`,
        `run the command again to retry, or ${manual}`,
        { cause: e },
      );
    }
    if (total !== undefined && received !== total) {
      throw new VantageError(
        'model-download-failed',
        `download of ${label} from ${url} is incomplete: ${received} of ${total} bytes`,
        `run the command again to retry, or ${manual}`,
      );
    }
    if (received === 0)
      throw new VantageError(
        'model-download-failed',
        `download of ${label} from ${url} returned an empty file`,
        manual,
      );
    await rename(tmp, target);
    progress?.done(received);
    return { path: target, bytes: (await stat(target)).size };
  } catch (e) {
    progress?.fail();
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

export interface EnsureModelOptions extends DownloadOptions {
  /** mirror base URL (default $VANTAGE_MODEL_BASE_URL) */
  baseUrl?: string;
  /** never touch the network (default: $VANTAGE_OFFLINE is set) */
  offline?: boolean;
}

/** The cached file of a known model, downloading it first when absent. */
export async function ensureModelFile(
  model: KnownDepthModel,
  target: string,
  opts: EnsureModelOptions = {},
): Promise<{ path: string; downloaded: boolean }> {
  try {
    if ((await stat(target)).size > 0) return { path: target, downloaded: false };
  } catch {
    // absent: fetch it below
  }
  const url = modelUrl(model, opts.baseUrl ?? process.env.VANTAGE_MODEL_BASE_URL);
  const offline = opts.offline ?? !!process.env.VANTAGE_OFFLINE;
  if (offline) {
    throw new VantageError(
      'model-not-cached',
      `depth model ${model.name} is not in the cache and downloads are off (offline)`,
      `download ${url} (about ${formatBytes(model.approxBytes)}) and save it as ${target}`,
    );
  }
  await downloadFile(url, target, { ...opts, label: opts.label ?? model.name });
  return { path: target, downloaded: true };
}
