/**
 * The MLLM response cache: one append-only JSONL file in a directory, one response a line, each
 * line prefixed with the checksum of its JSON so that a line torn by a crash mid-write (or any
 * corruption) is recognised and skipped on load. A rerun of the same request is then free and
 * returns the identical response.
 *
 * Line format: `<sha256(json) first 32 hex>\t<json>\n`, json = {"key": ..., "value": ...}.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VantageError } from '../errors.js';

export const CACHE_FILE_NAME = 'mllm-responses.jsonl';

/**
 * Where the client keeps responses: the file cache below, or a store shared by many processes (the
 * job queue keeps one in Redis). Like the file cache, the first value written for a key is kept.
 */
export interface ResponseStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

export interface ResponseCache {
  readonly path: string;
  /** The stored value for the key (the first one written), or undefined. */
  get(key: string): unknown;
  has(key: string): boolean;
  /** Appends one line; resolves once the line is written and flushed to the OS. */
  put(key: string, value: unknown): Promise<void>;
  readonly size: number;
  /** Lines skipped at load because they were torn or failed their checksum. */
  readonly skippedLines: number;
}

function checksumOf(json: string): string {
  return createHash('sha256').update(json).digest('hex').slice(0, 32);
}

/** One cache line (with its trailing newline) for a key and value. */
export function cacheLine(key: string, value: unknown): string {
  const json = JSON.stringify({ key, value });
  return `${checksumOf(json)}\t${json}\n`;
}

/** The record of a line, or undefined when the line is torn or corrupt. */
export function parseCacheLine(line: string): { key: string; value: unknown } | undefined {
  const tab = line.indexOf('\t');
  if (tab !== 32) return undefined;
  const json = line.slice(tab + 1);
  if (checksumOf(json) !== line.slice(0, tab)) return undefined;
  try {
    const rec = JSON.parse(json) as { key?: unknown; value?: unknown };
    return typeof rec.key === 'string' ? { key: rec.key, value: rec.value } : undefined;
  } catch {
    return undefined;
  }
}

export async function openResponseCache(dir: string): Promise<ResponseCache> {
  const path = join(dir, CACHE_FILE_NAME);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new VantageError(
      'cache-unwritable',
      `The MLLM cache directory ${dir} could not be created (${(e as Error).message}).`,
      'Pass a writable --cache-dir, or run without a cache.',
      { cause: e },
    );
  }
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const entries = new Map<string, unknown>();
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const rec = parseCacheLine(line);
    if (!rec) {
      skipped++;
      continue;
    }
    if (!entries.has(rec.key)) entries.set(rec.key, rec.value);
  }
  // After a torn last line the next record must start on a fresh line, or it would be lost too.
  let needsNewline = text.length > 0 && !text.endsWith('\n');
  let queue: Promise<void> = Promise.resolve();

  const append = async (line: string) => {
    const fh = await open(path, 'a');
    try {
      await fh.write((needsNewline ? '\n' : '') + line);
      needsNewline = false;
      await fh.datasync();
    } finally {
      await fh.close();
    }
  };

  return {
    path,
    get: (key) => entries.get(key),
    has: (key) => entries.has(key),
    put(key, value) {
      if (entries.has(key)) return queue;
      entries.set(key, value);
      const line = cacheLine(key, value);
      // one write per line, in order: lines of concurrent callers never interleave
      const written = queue.then(() => append(line));
      queue = written.catch(() => undefined); // a failed write must not block the next ones
      return written;
    },
    get size() {
      return entries.size;
    },
    get skippedLines() {
      return skipped;
    },
  };
}
