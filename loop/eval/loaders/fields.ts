/**
 * What every benchmark reader shares: the record type, reading text, lists, images (paths, bytes,
 * base64, {bytes, path} structs) and ground-truth letters out of a record's fields, and the one
 * error a reader throws for a record it cannot use (`bad`: the record is skipped with its reason).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { VantageError } from '../../../core/errors.js';
import { writeFileAtomic } from '../../../core/io/files.js';
import { letterOfReply, stripOptionLetters } from '../../../core/options.js';

/** A record as read from the file: a JSON object, a parquet row or a TSV row. */
export type RawRecord = Record<string, unknown>;

/** Where a record's paths are resolved and its bytes written. */
export interface RecordContext {
  dataDir: string;
  imageRoot?: string;
  imageCacheDir: string;
  /** VLMEvalKit TSV: the images of earlier rows by `index` (a row may name another row's index instead of repeating its image) */
  imagesByIndex?: Map<string, string[]>;
}

export function isObject(v: unknown): v is RawRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The record's own id, from the field benchmarks name it by. */
export function recordId(rec: RawRecord): string | undefined {
  for (const k of ['id', 'idx', 'index', 'database_idx', 'question_id', 'qid']) {
    const v = rec[k];
    if (typeof v === 'string' && v) return v;
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  }
  return undefined;
}

/** A text field: strings as they are, bytes decoded as UTF-8, numbers as digits. */
export function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

export function listOf(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') {
    const t = v.trim();
    // some exports keep lists as JSON text
    if (t.startsWith('[')) {
      try {
        const parsed = JSON.parse(t) as unknown;
        if (Array.isArray(parsed)) return parsed;
      } catch {
        /* not JSON: a single value */
      }
    }
  }
  return [v];
}

/** The record cannot be used: it is skipped with this reason. */
export function bad(reason: string): never {
  throw new VantageError('bad-record', reason);
}

/** Sniffed file extension of encoded image bytes. */
function imageExtension(b: Uint8Array): string {
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return '.png';
  if (b[0] === 0xff && b[1] === 0xd8) return '.jpg';
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46) return '.webp';
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return '.gif';
  return '.img';
}

/** Image bytes as a file in the cache directory, named by content (written once). */
export async function cacheImageBytes(bytes: Uint8Array, dir: string): Promise<string> {
  if (!bytes.length) bad('an image field holds 0 bytes');
  const name = `${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}${imageExtension(bytes)}`;
  const path = join(dir, name);
  if (!existsSync(path)) {
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(path, bytes);
  }
  return path;
}

/** An image path from a record, resolved against --image-root, the file's directory and its parents. */
export function resolveImagePath(p: string, ctx: RecordContext): string {
  if (isAbsolute(p)) {
    if (existsSync(p)) return p;
    bad(`image ${p} does not exist`);
  }
  const bases = [
    ...(ctx.imageRoot ? [ctx.imageRoot] : []),
    ctx.dataDir,
    resolve(ctx.dataDir, '..'),
    resolve(ctx.dataDir, '..', '..'),
    process.cwd(),
  ];
  for (const b of bases) {
    const c = resolve(b, p);
    if (existsSync(c)) return c;
  }
  bad(`image ${p} was not found under ${[...new Set(bases)].join(', ')}`);
}

/** Bare base64 of an image (VLMEvalKit TSV): long, base64 alphabet only, decoding to PNG/JPEG/WebP/GIF bytes. */
function bareBase64Image(v: string): Buffer | undefined {
  if (v.length < 64 || !/^[A-Za-z0-9+/\r\n]+=*$/.test(v.slice(0, 4096))) return undefined;
  const b = Buffer.from(v, 'base64');
  return imageExtension(b) === '.img' ? undefined : b;
}

/** One image field (path, bytes, base64 or a base64 data URL, or {bytes, path}) → an absolute path. */
export async function imagePathOf(v: unknown, ctx: RecordContext): Promise<string> {
  if (typeof v === 'string') {
    const m = /^data:image\/[a-z+.-]+;base64,(.*)$/is.exec(v);
    if (m) return cacheImageBytes(Buffer.from(m[1], 'base64'), ctx.imageCacheDir);
    const b64 = bareBase64Image(v);
    if (b64) return cacheImageBytes(b64, ctx.imageCacheDir);
    return resolveImagePath(v, ctx);
  }
  if (v instanceof Uint8Array) return cacheImageBytes(v, ctx.imageCacheDir);
  if (isObject(v)) {
    const bytes = v.bytes;
    if (bytes instanceof Uint8Array && bytes.length) return cacheImageBytes(bytes, ctx.imageCacheDir);
    if (typeof bytes === 'string' && bytes.length)
      return cacheImageBytes(Buffer.from(bytes, 'base64'), ctx.imageCacheDir);
    const path = textOf(v.path);
    if (path) return resolveImagePath(path, ctx);
  }
  bad('an image field is neither a path nor image bytes');
}

/** Every present image of a record as an absolute path; `what` names the fields for the skip reason. */
export async function imagesOf(values: unknown[], ctx: RecordContext, what: string): Promise<string[]> {
  const present = values.filter((v) => v !== null && v !== undefined && v !== '');
  if (!present.length) bad(`no image (${what})`);
  const out: string[] = [];
  for (const v of present) out.push(await imagePathOf(v, ctx));
  return out;
}

/** The ground-truth letter, with a clear reason when it names none of the options. */
export function truthLetter(raw: unknown, options: string[], field: string): string {
  const t = textOf(raw);
  if (t === undefined || !t.trim()) bad(`no ground truth (${field})`);
  const l = letterOfReply(t, options);
  if (!l) bad(`ground truth ${field} "${t.slice(0, 60)}" is none of the ${options.length} options`);
  return l;
}

/**
 * The ground truth, or hidden: splits published without answers (BLINK test writes "hidden";
 * VLMEvalKit test TSVs have no answer column) can only be predicted.
 */
export function truthOf(
  raw: unknown,
  options: string[],
  field: string,
  hiddenWhenAbsent = false,
): { answer: string; hidden?: true } {
  const t = textOf(raw)?.trim();
  if (/^\(?hidden\)?$/i.test(t ?? '') || (hiddenWhenAbsent && (raw === undefined || raw === null)))
    return { answer: '', hidden: true };
  return { answer: truthLetter(raw, options, field) };
}

/** Option texts of a list field, letters the file wrote in stripped. */
export function optionsOf(v: unknown): string[] {
  return stripOptionLetters(
    listOf(v)
      .map((o) => textOf(o) ?? '')
      .filter((o) => o.trim() !== ''),
  );
}

export function needOptions(options: string[]): void {
  if (options.length < 2) bad(`needs at least two options, found ${options.length}`);
}
