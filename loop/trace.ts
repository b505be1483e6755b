/**
 * The trace directory (DESIGN.md, "Trace"): `trace.json`, one PNG per view, and `index.html` (the
 * self-contained report of loop/report.ts).
 *
 * Every file is written atomically (temporary file in the same directory, fsync, rename), so a crash
 * or a concurrent reader never sees half a trace.json. Before anything is written, the trace goes
 * through `scrubSecrets`: the loop never puts a key in a trace, and this is the second lock on that
 * door.
 */
import { randomBytes } from 'node:crypto';
import { makeDir } from '../core/io/files.js';
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import type { Trace } from './types.js';
import { renderReportHtml, type ReportLinkOptions } from './report.js';
import { VantageError } from '../core/errors.js';

export const TRACE_JSON = 'trace.json';
export const INDEX_HTML = 'index.html';
const REDACTED = '[redacted]';

/** Keys whose values are secrets, whatever they hold. */
const SECRET_KEY =
  /api[-_]?key|authorization|bearer|secret|password|passwd|cookie|access[-_]?token|refresh[-_]?token|private[-_]?key/i;

/** Secret-looking substrings inside any string value (error messages, prompts, URLs, headers). */
const SECRET_VALUE_PATTERNS: [RegExp, string][] = [
  // OpenAI-style keys (sk-…, sk-proj-…, sk-ant-…)
  [/(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{6,}/g, REDACTED],
  // "Bearer <token>" in a header echoed into a message
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${REDACTED}`],
  // well-known token shapes: Hugging Face, GitHub, Google, xAI, Groq
  [
    /(?<![A-Za-z0-9])(hf_[A-Za-z0-9]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|AIza[0-9A-Za-z_-]{30,}|xai-[A-Za-z0-9]{20,}|gsk_[A-Za-z0-9]{20,})/g,
    REDACTED,
  ],
  // key=value in query strings and config dumps
  [/\b(api[-_]?key|access[-_]?token|auth|token|key)=([^&\s"'<>]+)/gi, `$1=${REDACTED}`],
  // credentials in URLs: scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/:@]+:[^\s/@]+@/gi, `$1${REDACTED}@`],
];

/** Values of environment variables that hold keys, to redact verbatim wherever they appear. */
function secretEnvValues(): string[] {
  return (
    Object.entries(process.env)
      // long, space-free values only: a short or wordy value could blank ordinary text
      .filter(
        ([k, v]) =>
          /api[-_]?key|token|secret|password/i.test(k) && typeof v === 'string' && v.length >= 12 && !/\s/.test(v),
      )
      .map(([, v]) => v as string)
  );
}

function scrubString(s: string, envSecrets: string[]): string {
  let out = s;
  for (const v of envSecrets) if (out.includes(v)) out = out.split(v).join(REDACTED);
  for (const [re, rep] of SECRET_VALUE_PATTERNS) out = out.replace(re, rep);
  return out;
}

/**
 * A deep copy of `value` with secrets removed: any property whose key looks like a credential
 * (api key, authorization, bearer, secret, password, cookie, access token) becomes "[redacted]", and
 * secret-looking substrings of every string (sk-… keys, "Bearer …", key=… query parameters, URL
 * credentials, values of key-holding environment variables) are replaced. Typed arrays are copied;
 * cycles are preserved (JSON serialisation then refuses them).
 */
export function scrubSecrets<T>(value: T): T {
  const env = secretEnvValues();
  const seen = new WeakMap<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubString(v, env);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return seen.get(v);
    if (ArrayBuffer.isView(v))
      return v instanceof DataView ? new DataView(v.buffer.slice(0)) : (v as unknown as Uint8Array).slice();
    if (v instanceof Date) return new Date(v.getTime());
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const x of v) out.push(walk(x));
      return out;
    }
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    if (v instanceof Error) {
      out.name = v.name;
      out.message = walk(v.message);
    }
    for (const [k, x] of Object.entries(v))
      out[k] = SECRET_KEY.test(k) && x !== undefined && x !== null ? REDACTED : walk(x);
    return out;
  };
  return walk(value) as T;
}

/** JSON text of a trace: typed arrays (c2w matrices) as plain number lists. */
function traceJsonText(trace: Trace): string {
  return (
    JSON.stringify(
      trace,
      (_k, v) =>
        ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v,
      2,
    ) + '\n'
  );
}

/** Write `data` to `path` so readers see either the old file or the whole new one, never a part. */
async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = join(resolve(path, '..'), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** fsync the directory so the renames themselves survive a crash (best effort: not every FS allows it). */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* not supported here: the files are still whole */
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.png$/;

function checkView(v: { file: string; png: Buffer }): void {
  if (typeof v.file !== 'string' || !SAFE_FILE.test(v.file) || v.file.includes('..')) {
    throw new VantageError(
      'bad-trace-file',
      `view image name "${String(v.file)}" is not a plain PNG file name`,
      'use names like "round-01.png": letters, digits, ".", "_", "-", ending in .png, no folders',
    );
  }
  if (!Buffer.isBuffer(v.png) || v.png.length < 8 || !v.png.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw new VantageError(
      'bad-trace-file',
      `view image "${v.file}" is not PNG data`,
      'encode the view with sharp(...).png() first',
    );
  }
}

/**
 * Write a trace directory: the view PNGs, `trace.json` and `index.html`, each atomically. Safe to
 * call again after every round with the growing trace (PNGs written before stay and are shown).
 * Returns the absolute paths of trace.json and index.html.
 */
export async function writeTrace(
  dir: string,
  trace: Trace,
  views: { file: string; png: Buffer }[],
  opts: ReportLinkOptions = {},
): Promise<{ traceJson: string; indexHtml: string }> {
  for (const v of views) checkView(v);
  const clean = scrubSecrets(trace);
  // serialise before touching the disk: a trace that cannot be written leaves the old one as it was
  let json: string;
  try {
    json = traceJsonText(clean);
  } catch (e) {
    throw new VantageError('bad-trace', `trace cannot be serialised to JSON: ${(e as Error).message}`, undefined, {
      cause: e,
    });
  }
  const root = resolve(dir);
  await makeDir(root, 'trace directory');
  for (const v of views) await writeFileAtomic(join(root, v.file), v.png);
  const present = new Set(views.map((v) => v.file));
  for (const f of await readdir(root)) if (SAFE_FILE.test(f)) present.add(f);
  const html = renderReportHtml(JSON.parse(json) as Trace, [...present].sort(), opts);
  const traceJson = join(root, TRACE_JSON);
  const indexHtml = join(root, INDEX_HTML);
  await writeFileAtomic(traceJson, json);
  await writeFileAtomic(indexHtml, html);
  await syncDir(root);
  return { traceJson, indexHtml };
}

const DistSchema = z.record(z.string(), z.number().nullable());
const TraceSchema = z.looseObject({
  version: z.literal(1),
  question: z.looseObject({ text: z.string(), options: z.array(z.string()) }),
  config: z.looseObject({}),
  modelLabel: z.string(),
  rounds: z.array(
    z.looseObject({
      round: z.number(),
      answer: z.looseObject({ choice: z.string(), dist: DistSchema }),
      posterior: DistSchema,
    }),
  ),
  final: z.looseObject({ choice: z.string(), stopReason: z.string() }),
});

/** Read a trace directory's trace.json (or the trace.json path itself), checking its shape. */
export async function readTrace(dir: string): Promise<Trace> {
  let path = resolve(dir, TRACE_JSON);
  try {
    if ((await stat(dir)).isFile()) path = resolve(dir);
  } catch {
    /* reported below with the path tried */
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new VantageError(
      'trace-not-found',
      `no trace at ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'pass the directory a run wrote its trace to (it holds trace.json and index.html)',
      { cause: e },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new VantageError('bad-trace', `${path} is not valid JSON: ${(e as Error).message}`, undefined, { cause: e });
  }
  const r = TraceSchema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(trace)'}: ${i.message}`)
      .join('; ');
    throw new VantageError(
      'bad-trace',
      `${path} is not a Vantage trace (version 1): ${problems}`,
      'was it written by another version of Vantage?',
    );
  }
  return value as Trace;
}
