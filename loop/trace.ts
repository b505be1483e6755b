/**
 * The trace directory (docs/design.md, "Conventions" → trace): `trace.json`, one PNG per view, and `index.html` (the
 * self-contained report of loop/report.ts).
 *
 * Every file is written atomically (temporary file in the same directory, fsync, rename), so a crash
 * or a concurrent reader never sees half a trace.json. Before anything is written, the trace goes
 * through `scrubSecrets`: the loop never puts a key in a trace, and this is the second lock on that
 * door.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { Trace } from './types.js';
import { renderReportHtml, type ReportLinkOptions } from './report.js';
import { VantageError } from '../core/errors.js';
import { makeDir, readJsonFile, writeFileAtomic } from '../core/io/files.js';
import { scrubSecrets } from '../core/secrets.js';

const TRACE_JSON = 'trace.json';
const INDEX_HTML = 'index.html';
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
  const value = await readJsonFile(path, {
    what: 'trace',
    code: 'bad-trace',
    hint: 'pass the directory a run wrote its trace to (it holds trace.json and index.html)',
  });
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
