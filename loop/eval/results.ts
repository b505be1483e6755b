/**
 * results.jsonl: one self-contained JSON line per finished (grid cell, item), appended and fsync'd
 * as each pair finishes, so a `kill -9` loses at most the pairs in flight.
 *
 * On resume the file is read back: a torn last line (the process died mid-write), lines that are
 * not results, duplicates, and pairs that ended in an error are dropped (the file is then rewritten
 * atomically: temp file, fsync, rename), so the pairs they stood for run again, and every pair
 * finished without error is skipped and never sent to the model again.
 */
import { existsSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { VantageError } from '../../core/errors.js';
import { readJsonFile, writeFileAtomic } from '../../core/io/files.js';
import type { EvalLine } from './types.js';

export interface ResultsRead {
  /** lines kept: well-formed, one per (cell, item), finished without error */
  lines: EvalLine[];
  /** what was dropped, and why */
  torn: boolean;
  corrupt: number;
  duplicates: number;
  errors: number;
  /** true when the file was rewritten without the dropped lines */
  rewritten: boolean;
}

export const pairKey = (cell: string, item: string): string => `${cell}\u0000${item}`;

function isEvalLine(v: unknown): v is EvalLine {
  const l = v as EvalLine;
  return (
    typeof l === 'object' &&
    l !== null &&
    l.v === 1 &&
    typeof l.cell === 'string' &&
    typeof l.item === 'string' &&
    (l.status === 'ok' || l.status === 'error') &&
    Array.isArray(l.correctAfter) &&
    Array.isArray(l.rounds)
  );
}

/**
 * The finished lines of a results file (none when it does not exist), after dropping a torn tail,
 * corrupt lines, duplicates and (unless keepErrors) error lines; the file is rewritten when
 * anything was dropped, so appends continue on a clean line boundary.
 */
export async function readResults(path: string, opts: { keepErrors?: boolean } = {}): Promise<ResultsRead> {
  const empty: ResultsRead = { lines: [], torn: false, corrupt: 0, duplicates: 0, errors: 0, rewritten: false };
  if (!existsSync(path)) return empty;
  const text = await readFile(path, 'utf8');
  if (!text) return empty;
  const parts = text.split('\n');
  // every line is written with its newline in one append: no newline at the end = torn last line
  const tail = parts.pop() ?? '';
  const torn = tail.length > 0;
  const lines: EvalLine[] = [];
  const seen = new Set<string>();
  let corrupt = 0;
  let duplicates = 0;
  let errors = 0;
  for (const raw of parts) {
    if (!raw.trim()) {
      corrupt++;
      continue;
    }
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      corrupt++;
      continue;
    }
    if (!isEvalLine(v)) {
      corrupt++;
      continue;
    }
    if (v.status === 'error' && !opts.keepErrors) {
      errors++;
      continue;
    }
    const k = pairKey(v.cell, v.item);
    if (seen.has(k)) {
      duplicates++;
      continue;
    }
    seen.add(k);
    lines.push(v);
  }
  const rewrite = torn || corrupt > 0 || duplicates > 0 || errors > 0;
  if (rewrite) await writeFileAtomic(path, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  return { lines, torn, corrupt, duplicates, errors, rewritten: rewrite };
}

/**
 * Appends lines, never interleaved, each on disk (datasync) before its promise resolves. Lines that
 * arrive while a sync is in progress are written together by the next one (group commit), so the
 * file system's sync latency does not cap the number of pairs finished per second.
 */
export class ResultsWriter {
  private queue: { text: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<ResultsWriter> {
    try {
      return new ResultsWriter(await open(path, 'a'), path);
    } catch (e) {
      throw new VantageError(
        'bad-output',
        `cannot open ${path} for appending: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        'check that the --out directory is writable',
      );
    }
  }

  /** Resolves once the line is on disk. */
  append(line: EvalLine): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ text: `${JSON.stringify(line)}\n`, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0);
      try {
        // one append of whole lines: a crash can cut only the last line, which readResults drops
        await this.fh.appendFile(batch.map((b) => b.text).join(''), 'utf8');
        await this.fh.datasync();
        for (const b of batch) b.resolve();
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    this.flushing = undefined;
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.fh.close();
  }
}

/** What must match for a results directory to be continued: the settings not in a cell's key. */
export interface RunIdentity {
  /** the data files, absolute */
  data: string[];
  format: string;
  model: string;
  size: string;
  depthModel: string | null;
  optionOrder: string;
  seed: number;
  predictOnly: boolean;
  /** settings sent to the endpoint with every request */
  generation: { temperature?: number; topP?: number; maxTokens?: number; seed?: number; logprobs?: boolean };
  /** the data files' SHA-256, in the order of `data` */
  sha256: string[];
}

/** run.json: the identity above, and what it records for the reader (not compared). */
export interface RunManifest extends RunIdentity {
  version: 1;
  createdAt: string;
  updatedAt: string;
  /** every cell ever run into this directory */
  cells: string[];
  vantage: string;
  commit: string | null;
  files: { path: string; bytes: number; sha256: string }[];
  /** the loop settings of every cell, by key */
  cellConfigs: Record<string, unknown>;
  /** further MLLM client settings (no key) */
  mllm?: Record<string, unknown>;
  limit?: number;
}

const IDENTITY_KEYS = [
  'data',
  'format',
  'model',
  'size',
  'depthModel',
  'optionOrder',
  'seed',
  'predictOnly',
  'generation',
  'sha256',
] as const;

/** Older run.json files: one data path as a string, no option order (the file's), no checksums. */
function identityOf(have: Partial<RunManifest> & { data?: unknown }): Record<string, unknown> {
  return {
    ...have,
    data: Array.isArray(have.data) ? have.data : have.data === undefined ? undefined : [have.data],
    optionOrder: have.optionOrder ?? 'given',
    predictOnly: have.predictOnly ?? false,
    generation: have.generation ?? {},
  };
}

/**
 * Check (or create) run.json: other data (files or their content), format, model, size, depth model,
 * option order, seed or generation settings is an error; the record is rewritten with this run's.
 */
export async function checkManifest(
  path: string,
  want: RunIdentity,
  record: Omit<RunManifest, keyof RunIdentity | 'version' | 'createdAt' | 'updatedAt' | 'cells'> & { cells: string[] },
): Promise<RunManifest> {
  let have: RunManifest | undefined;
  if (existsSync(path)) {
    try {
      have = (await readJsonFile(path, { what: 'run manifest', code: 'eval-mismatch' })) as RunManifest;
    } catch {
      have = undefined; // unreadable: rewritten below (results.jsonl lines carry their own cell and model)
    }
  }
  if (have) {
    const old = identityOf(have);
    const diffs = IDENTITY_KEYS.filter(
      (k) => old[k] !== undefined && JSON.stringify(old[k] ?? null) !== JSON.stringify(want[k] ?? null),
    ).map((k) =>
      k === 'sha256'
        ? 'the data files changed since (their SHA-256 differ)'
        : `${k}: ${JSON.stringify(old[k])} there, ${JSON.stringify(want[k])} now`,
    );
    if (diffs.length) {
      throw new VantageError(
        'eval-mismatch',
        `${dirname(path)} holds an evaluation with other settings (${diffs.join('; ')})`,
        'rerun the same command to continue it, or pass a new --out directory',
      );
    }
  }
  const now = new Date().toISOString();
  const manifest: RunManifest = {
    version: 1,
    ...want,
    ...record,
    createdAt: have?.createdAt ?? now,
    updatedAt: now,
    cells: [...new Set([...(have?.cells ?? []), ...record.cells])],
    cellConfigs: { ...(have?.cellConfigs ?? {}), ...record.cellConfigs },
  };
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
