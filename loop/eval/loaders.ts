/**
 * Benchmark loaders: one per format, each turning the published records into EvalItems
 * (absolute image paths, question text, option texts, ground-truth letter, category).
 *
 * - native:   Vantage's own question sets (core/io/native-set.ts): `images`, `depth`, `intrinsics`,
 *             `question`, `options`, `answer` letter, `category`, optional `scan` (RGB-D frames with a
 *             trajectory, lifted with the reference photo); read and validated by readNativeJsonl.
 * - mindcube: MindCube JSONL — `id`, `images` (paths relative to the data root), `question` with the
 *             options written in ("… A. Left B. Right"), `gt_answer` ("B").
 * - sat:      SAT as MindJourney's `test.json` — a JSON array of `database_idx`, `question_type`,
 *             `question`, `answer_choices`, `correct_answer` (the option's text), `img_paths`.
 * - mmsi:     MMSI-Bench parquet — `id`, `images` (list of image bytes), `question_type`, `question`
 *             ending in "Options: A: …, B: …", `answer` ("A"). Read with hyparquet.
 * - blink:    BLINK records — `idx`, `question`, `choices`, `answer` ("(A)"), `sub_task`,
 *             `image_1` … `image_4` (paths, or bytes in the parquet release).
 * - cvbench:  CV-Bench records — `idx`, `type` (2D/3D), `task`, `image` or `filename`, `question`,
 *             `choices`, `answer` ("(C)").
 * Any format may also come as .parquet, .json (array) or .jsonl; image fields may hold paths, bytes,
 * or {bytes, path} structs (Hugging Face's Image feature). Image bytes are written once, by content
 * hash, to a cache directory so that items stay plain paths.
 *
 * Records that cannot be used (no ground truth among the options, a missing image) are skipped with
 * the reason; the run goes on without them.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import zlib from 'node:zlib';
import { VantageError } from '../../core/errors.js';
import { EVAL_DEFAULTS } from './config.js';
import { questionOfRecord, readNativeJsonl, type NativeRecord } from '../../core/io/native-set.js';
import { letterOfReply, stripOptionLetters } from '../../core/options.js';
import { splitEmbeddedOptions } from './normalize.js';
import { EVAL_FORMATS, type EvalFormat, type EvalItem, type LoadedItems, type SkippedRecord } from './types.js';

export interface LoadOptions {
  format: EvalFormat;
  /** the data file (.jsonl, .json, .parquet) */
  data: string;
  /** first K usable items */
  limit?: number;
  /** directory image paths in the records are relative to (default: tried next to the file and up) */
  imageRoot?: string;
  /** where images shipped as bytes are written (default: a directory under the OS temp dir) */
  imageCacheDir?: string;
}

/** A record as read from the file: a JSON object or a parquet row. */
export type RawRecord = Record<string, unknown>;

/** Where a record's paths are resolved and its bytes written. */
export interface RecordContext {
  dataDir: string;
  imageRoot?: string;
  imageCacheDir: string;
}

/** Load the items of a benchmark file. */
export async function loadEvalItems(opts: LoadOptions): Promise<LoadedItems> {
  if (!(EVAL_FORMATS as readonly string[]).includes(opts.format)) {
    throw new VantageError('bad-option', `unknown --format "${opts.format}"`, `use one of ${EVAL_FORMATS.join(', ')}`);
  }
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 1)) {
    throw new VantageError('bad-option', `--limit must be a whole number ≥ 1, got ${opts.limit}`);
  }
  const data = resolve(opts.data);
  let st;
  try {
    st = await stat(data);
  } catch {
    throw new VantageError(
      'bad-input',
      `data file ${opts.data} does not exist`,
      'pass --data with the benchmark file (JSONL, JSON or parquet)',
    );
  }
  if (!st.isFile()) throw new VantageError('bad-input', `--data ${opts.data} is not a file`);
  const ctx: RecordContext = {
    dataDir: dirname(data),
    ...(opts.imageRoot ? { imageRoot: resolve(opts.imageRoot) } : {}),
    imageCacheDir: resolve(opts.imageCacheDir ?? join(tmpdir(), 'vantage-eval-images')),
  };
  const items: EvalItem[] = [];
  const skipped: SkippedRecord[] = [];
  const seen = new Map<string, number>();
  const limit = opts.limit ?? Infinity;

  const take = async (rec: RawRecord, index: number): Promise<void> => {
    try {
      const item = await itemOfRecord(opts.format, rec, index, ctx);
      const n = seen.get(item.id) ?? 0;
      seen.set(item.id, n + 1);
      // ids must be unique: results.jsonl is keyed by them
      if (n > 0) item.id = `${item.id}#${n + 1}`;
      items.push(item);
    } catch (e) {
      if (!(e instanceof VantageError)) throw e;
      skipped.push({ index, ...(recordId(rec) ? { id: recordId(rec) } : {}), reason: e.message });
    }
  };

  if (extname(data).toLowerCase() === '.parquet') {
    const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
    const file = await asyncBufferFromFile(data);
    let rows: number;
    let metadata;
    try {
      metadata = await parquetMetadataAsync(file);
      rows = Number(metadata.num_rows);
    } catch (e) {
      throw new VantageError('bad-input', `${opts.data} is not a readable parquet file: ${(e as Error).message}`);
    }
    for (let start = 0; start < rows && items.length < limit; start += EVAL_DEFAULTS.parquetBatchRows) {
      let batch: RawRecord[];
      try {
        // utf8: false keeps unannotated binary (image bytes) as bytes; text columns are annotated
        batch = await parquetReadObjects({
          file,
          metadata,
          rowStart: start,
          rowEnd: Math.min(rows, start + EVAL_DEFAULTS.parquetBatchRows),
          utf8: false,
          compressors: parquetCompressors(),
        });
      } catch (e) {
        throw new VantageError(
          'bad-input',
          `cannot read rows ${start}… of ${opts.data}: ${(e as Error).message}`,
          `codecs read here: uncompressed, snappy, ${Object.keys(parquetCompressors()).join(', ').toLowerCase()}; re-save other codecs with snappy`,
        );
      }
      for (let i = 0; i < batch.length && items.length < limit; i++) await take(batch[i], start + i);
    }
  } else {
    // native files are validated by their own reader (core/io/native-set.ts): a bad line is an error
    const records =
      opts.format === 'native'
        ? ((await readNativeJsonl(data)) as unknown as RawRecord[])
        : await readJsonRecords(data, opts.data);
    for (let i = 0; i < records.length && items.length < limit; i++) await take(records[i], i);
  }

  if (!items.length) {
    const first = skipped[0];
    throw new VantageError(
      'bad-input',
      first
        ? `no usable ${opts.format} items in ${opts.data}: ${skipped.length} record(s) skipped, the first (record ${first.index}) because ${first.reason}`
        : `no ${opts.format} records in ${opts.data}`,
      first && /image/.test(first.reason)
        ? 'pass --image-root DIR: the directory the image paths in the file are relative to'
        : `check that --format ${opts.format} matches the file`,
    );
  }
  return { format: opts.format, items, skipped };
}

/** Decompressors for parquet codecs beyond hyparquet's built-in snappy, from node:zlib (zstd where Node has it). */
function parquetCompressors(): Record<string, (input: Uint8Array, outputLength: number) => Uint8Array> {
  const z = zlib as typeof zlib & { zstdDecompressSync?: (b: Uint8Array) => Buffer };
  return {
    GZIP: (b) => zlib.gunzipSync(b),
    BROTLI: (b) => zlib.brotliDecompressSync(b),
    ...(typeof z.zstdDecompressSync === 'function' ? { ZSTD: (b: Uint8Array) => z.zstdDecompressSync!(b) } : {}),
  };
}

/** Records of a JSON array file or a JSONL file (one object a line; blank lines ignored). */
export async function readJsonRecords(path: string, shown = path): Promise<RawRecord[]> {
  const text = await readFile(path, 'utf8');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(trimmed);
    } catch (e) {
      throw new VantageError('bad-input', `${shown} is not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(arr) || !arr.every(isObject))
      throw new VantageError('bad-input', `${shown} is not a JSON array of objects`);
    return arr as RawRecord[];
  }
  const out: RawRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new VantageError(
        'bad-input',
        `${shown} line ${i + 1} is not JSON: ${(e as Error).message}`,
        'the file should be JSONL (one JSON object a line) or a JSON array',
      );
    }
    if (!isObject(v)) throw new VantageError('bad-input', `${shown} line ${i + 1} is not a JSON object`);
    out.push(v);
  }
  return out;
}

function isObject(v: unknown): v is RawRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function recordId(rec: RawRecord): string | undefined {
  for (const k of ['id', 'idx', 'database_idx', 'question_id', 'qid']) {
    const v = rec[k];
    if (typeof v === 'string' && v) return v;
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  }
  return undefined;
}

/** A text field: strings as they are, bytes decoded as UTF-8, numbers as digits. */
function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

function listOf(v: unknown): unknown[] {
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

function bad(reason: string): never {
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
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    const { rename } = await import('node:fs/promises');
    await rename(tmp, path);
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

/** One image field (path, bytes, base64 data URL, or {bytes, path}) → an absolute path. */
export async function imagePathOf(v: unknown, ctx: RecordContext): Promise<string> {
  if (typeof v === 'string') {
    const m = /^data:image\/[a-z+.-]+;base64,(.*)$/is.exec(v);
    if (m) return cacheImageBytes(Buffer.from(m[1], 'base64'), ctx.imageCacheDir);
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

async function imagesOf(values: unknown[], ctx: RecordContext, what: string): Promise<string[]> {
  const present = values.filter((v) => v !== null && v !== undefined && v !== '');
  if (!present.length) bad(`no image (${what})`);
  const out: string[] = [];
  for (const v of present) out.push(await imagePathOf(v, ctx));
  return out;
}

/** The ground-truth letter, with a clear reason when it names none of the options. */
function truthLetter(raw: unknown, options: string[], field: string): string {
  const t = textOf(raw);
  if (t === undefined || !t.trim()) bad(`no ground truth (${field})`);
  const l = letterOfReply(t, options);
  if (!l) bad(`ground truth ${field} "${t.slice(0, 60)}" is none of the ${options.length} options`);
  return l;
}

function optionsOf(v: unknown): string[] {
  return stripOptionLetters(
    listOf(v)
      .map((o) => textOf(o) ?? '')
      .filter((o) => o.trim() !== ''),
  );
}

function needOptions(options: string[]): void {
  if (options.length < 2) bad(`needs at least two options, found ${options.length}`);
}

/** The EvalItem of one record in a format. Throws VantageError('bad-record') when unusable. */
export async function itemOfRecord(
  format: EvalFormat,
  rec: RawRecord,
  index: number,
  ctx: RecordContext,
): Promise<EvalItem> {
  switch (format) {
    case 'native':
      return nativeItem(rec as unknown as NativeRecord);
    case 'mindcube':
      return mindcubeItem(rec, index, ctx);
    case 'sat':
      return satItem(rec, index, ctx);
    case 'mmsi':
      return mmsiItem(rec, index, ctx);
    case 'blink':
      return blinkItem(rec, index, ctx);
    case 'cvbench':
      return cvbenchItem(rec, index, ctx);
  }
}

/** A native record (fixtures/dataset.ts, already validated, paths absolute) → an item. */
export function nativeItem(r: NativeRecord): EvalItem {
  if (r.options.length < 2) bad(`needs at least two options, found ${r.options.length}`);
  if (!r.answer) bad('no ground truth (answer)');
  const scanFiles = r.scan ? [...r.scan.images, ...r.scan.depths, r.scan.trajectory] : [];
  for (const p of [...r.images, ...(r.depth ? [r.depth] : []), ...scanFiles])
    if (!existsSync(p)) bad(`file ${p} does not exist`);
  const q = questionOfRecord(r);
  const k = r.intrinsics;
  const intrinsics = typeof k === 'string' ? k : k ? `${k.fx},${k.fy},${k.cx},${k.cy}` : undefined;
  return {
    id: r.id,
    images: r.images,
    ...(r.depth ? { depths: [r.depth] } : {}),
    ...(intrinsics ? { intrinsics } : {}),
    ...(r.scan ? { scan: r.scan } : {}),
    question: { ...q, text: q.text.trim(), answer: r.answer, category: r.category ?? 'all' },
  };
}

async function mindcubeItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const full = textOf(rec.question);
  if (!full?.trim()) bad('no question');
  const split = splitEmbeddedOptions(full);
  if (!split) bad('no lettered options ("A. … B. …") in the question');
  const { stem, options } = split;
  const answer = truthLetter(rec.gt_answer ?? rec.answer, options, 'gt_answer');
  const id = recordId(rec) ?? `mindcube-${index}`;
  const cat = textOf(rec.type) ?? textOf(listOf(rec.category)[0]) ?? (id.includes('_') ? id.split('_')[0] : 'all');
  const images = await imagesOf(listOf(rec.images), ctx, 'images');
  return { id, images, question: { id, text: stem, options, answer, category: cat } };
}

async function satItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const text = textOf(rec.question);
  if (!text?.trim()) bad('no question');
  const options = optionsOf(rec.answer_choices ?? rec.answers ?? rec.choices);
  needOptions(options);
  const answer = truthLetter(rec.correct_answer ?? rec.answer, options, 'correct_answer');
  const id = recordId(rec) ?? `sat-${index}`;
  const images = await imagesOf(listOf(rec.img_paths ?? rec.image_bytes ?? rec.images), ctx, 'img_paths');
  return {
    id,
    images,
    question: { id, text: text.trim(), options, answer, category: textOf(rec.question_type) ?? 'all' },
  };
}

async function mmsiItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const full = textOf(rec.question);
  if (!full?.trim()) bad('no question');
  let options = optionsOf(rec.options ?? rec.choices);
  let text = full.trim();
  if (options.length < 2) {
    const split = splitEmbeddedOptions(full);
    if (!split) bad('no options ("Options: A: …, B: …") in the question');
    ({ stem: text, options } = split);
  }
  const answer = truthLetter(rec.answer, options, 'answer');
  const id = recordId(rec) ?? `mmsi-${index}`;
  const images = await imagesOf(listOf(rec.images ?? rec.image_paths), ctx, 'images');
  return { id, images, question: { id, text, options, answer, category: textOf(rec.question_type) ?? 'all' } };
}

/** BLINK and CV-Bench share the shape: question + choices + "(A)" answer; options may sit in `prompt`. */
function choicesQuestion(rec: RawRecord): { text: string; options: string[] } {
  const text = textOf(rec.question)?.trim();
  let options = optionsOf(rec.choices ?? rec.options);
  if (options.length < 2) {
    const prompt = textOf(rec.prompt);
    const split = prompt ? splitEmbeddedOptions(prompt) : undefined;
    if (split) options = split.options;
  }
  if (!text) bad('no question');
  needOptions(options);
  return { text, options };
}

async function blinkItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const { text, options } = choicesQuestion(rec);
  const answer = truthLetter(rec.answer, options, 'answer');
  const id = recordId(rec) ?? `blink-${index}`;
  const fields = ['image_1', 'image_2', 'image_3', 'image_4'].map((k) => rec[k]);
  const images = await imagesOf(
    fields.some((f) => f !== null && f !== undefined) ? fields : listOf(rec.images ?? rec.image),
    ctx,
    'image_1 … image_4',
  );
  return {
    id,
    images,
    question: { id, text, options, answer, category: textOf(rec.sub_task) ?? textOf(rec.task) ?? 'all' },
  };
}

async function cvbenchItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const { text, options } = choicesQuestion(rec);
  const answer = truthLetter(rec.answer, options, 'answer');
  const id = recordId(rec) ?? `cvbench-${index}`;
  // the parquet release has the image as bytes in `image`; the JSONL has its path in `filename`
  const img = rec.image ?? rec.filename ?? rec.image_path;
  const images = await imagesOf(listOf(img), ctx, 'image or filename');
  const type = textOf(rec.type);
  const task = textOf(rec.task);
  const category = type && task ? `${type} ${task}` : (task ?? type ?? 'all');
  return { id, images, question: { id, text, options, answer, category } };
}
