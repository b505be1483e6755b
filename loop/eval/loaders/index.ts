/**
 * Benchmark loaders: one reader per format (a file each, as splat-transform's readers/read-*.ts),
 * each turning the published records into EvalItems (absolute image paths, question text, option
 * texts, ground-truth letter, category):
 *
 *   native.ts    Vantage's own question sets        mindcube.ts  MindCube JSONL
 *   sat.ts       SAT as MindJourney's test.json     mmsi.ts      MMSI-Bench parquet or TSV
 *   blink.ts     BLINK records                      cvbench.ts   CV-Bench records
 *   vlmeval.ts   VLMEvalKit multiple-choice TSV  vsibench.ts  VSI-Bench (videos, numeric answers)
 *
 * Any format may come as .parquet, .json (array), .jsonl or .tsv (records.ts), and a run may read
 * several files (files.ts: files, folders, globs); image fields may hold paths, bytes, base64, or
 * {bytes, path} structs (Hugging Face's Image feature), read by fields.ts. Image bytes are written
 * once, by content hash, to a cache directory so that items stay plain paths.
 *
 * Records that cannot be used (no ground truth among the options, a missing image) are skipped with
 * the reason; the run goes on without them.
 */
import { extname, dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { VantageError } from '../../../core/errors.js';
import { readNativeJsonl, type NativeRecord } from '../../../core/io/native-set.js';
import { EVAL_FORMATS, type EvalFormat, type EvalItem, type LoadedItems, type SkippedRecord } from '../types.js';
import { recordId, type RawRecord, type RecordContext } from './fields.js';
import { resolveDataFiles } from './files.js';
import { forEachParquetRecord, forEachTsvRecord, readJsonRecords } from './records.js';
import { nativeItem } from './native.js';
import { mindcubeItem } from './mindcube.js';
import { satItem } from './sat.js';
import { mmsiItem } from './mmsi.js';
import { blinkItem } from './blink.js';
import { cvbenchItem } from './cvbench.js';
import { vlmevalItem } from './vlmeval.js';
import { vsibenchItem } from './vsibench.js';

export type { RawRecord, RecordContext } from './fields.js';
export { readJsonRecords } from './records.js';

export { resolveDataFiles } from './files.js';

export interface LoadOptions {
  format: EvalFormat;
  /** the data file(s) (.jsonl, .json, .parquet, .tsv), folders of them, or globs */
  data: string | readonly string[];
  /**
   * per file: the first K usable items (a whole number ≥ 1), or the first ceil(f × n) of its n usable
   * items (0 < f < 1, as lmms-eval's fractional --limit)
   */
  limit?: number;
  /** directory image paths in the records are relative to (default: tried next to the file and up) */
  imageRoot?: string;
  /** where images shipped as bytes are written (default: a directory under the OS temp dir) */
  imageCacheDir?: string;
}

type Reader = (rec: RawRecord, index: number, ctx: RecordContext) => Promise<EvalItem> | EvalItem;

/** The reader of each format. */
const READERS: Record<EvalFormat, Reader> = {
  native: (rec) => nativeItem(rec as unknown as NativeRecord),
  mindcube: mindcubeItem,
  sat: satItem,
  mmsi: mmsiItem,
  blink: blinkItem,
  cvbench: cvbenchItem,
  vlmeval: vlmevalItem,
  vsibench: vsibenchItem,
};

/** The EvalItem of one record in a format. Throws VantageError('bad-record') when unusable. */
export async function itemOfRecord(
  format: EvalFormat,
  rec: RawRecord,
  index: number,
  ctx: RecordContext,
): Promise<EvalItem> {
  return READERS[format](rec, index, ctx);
}

/** Check a --limit: a whole number ≥ 1 or a fraction in (0, 1). */
export function checkLimit(limit: number | undefined): void {
  if (limit === undefined) return;
  const whole = Number.isInteger(limit) && limit >= 1;
  const fraction = Number.isFinite(limit) && limit > 0 && limit < 1;
  if (!whole && !fraction)
    throw new VantageError(
      'bad-option',
      `--limit must be a whole number ≥ 1 (items) or a fraction between 0 and 1 (share of each file), got ${limit}`,
    );
}

interface FileItems {
  items: EvalItem[];
  skipped: SkippedRecord[];
  /** usable items in the file (known when it was read to the end) */
  available?: number;
  /** the limit left usable records out */
  cut: boolean;
}

/** The items of one data file. */
async function loadFile(
  format: EvalFormat,
  data: string,
  limit: number,
  ctx: RecordContext,
  seen: Map<string, number>,
): Promise<FileItems> {
  const items: EvalItem[] = [];
  const skipped: SkippedRecord[] = [];
  let cut = false;
  const enough = () => {
    if (items.length >= limit) cut = true;
    return cut;
  };
  const take = async (rec: RawRecord, index: number): Promise<void> => {
    try {
      const item = await itemOfRecord(format, rec, index, ctx);
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
  const ext = extname(data).toLowerCase();
  if (ext === '.parquet') await forEachParquetRecord(data, data, take, enough);
  else if (ext === '.tsv') await forEachTsvRecord(data, take, enough);
  else {
    // native files are validated by their own reader (core/io/native-set.ts): a bad line is an error
    const records =
      format === 'native' ? ((await readNativeJsonl(data)) as unknown as RawRecord[]) : await readJsonRecords(data);
    for (let i = 0; i < records.length && !enough(); i++) await take(records[i], i);
  }
  return { items, skipped, cut, ...(cut ? {} : { available: items.length }) };
}

/** Load the items of a benchmark's file(s). */
export async function loadEvalItems(opts: LoadOptions): Promise<LoadedItems> {
  if (!(EVAL_FORMATS as readonly string[]).includes(opts.format)) {
    throw new VantageError('bad-option', `unknown --format "${opts.format}"`, `use one of ${EVAL_FORMATS.join(', ')}`);
  }
  checkLimit(opts.limit);
  const files = await resolveDataFiles(opts.data);
  const fraction = opts.limit !== undefined && opts.limit < 1 ? opts.limit : undefined;
  const perFile = fraction === undefined ? (opts.limit ?? Infinity) : Infinity;
  const imageCacheDir = resolve(opts.imageCacheDir ?? join(tmpdir(), 'vantage-eval-images'));
  const items: EvalItem[] = [];
  const skipped: SkippedRecord[] = [];
  const seen = new Map<string, number>();
  let available: number | undefined = 0;
  let limited = false;
  for (const [fi, data] of files.entries()) {
    const ctx: RecordContext = {
      dataDir: dirname(data),
      ...(opts.imageRoot ? { imageRoot: resolve(opts.imageRoot) } : {}),
      imageCacheDir,
      imagesByIndex: new Map(),
    };
    const r = await loadFile(opts.format, data, perFile, ctx, seen);
    let mine = r.items;
    if (fraction !== undefined) {
      // lmms-eval: limit = ceil(len(docs) * fraction), the first ones
      const keep = Math.ceil(mine.length * fraction);
      if (keep < mine.length) limited = true;
      mine = mine.slice(0, keep);
    }
    if (r.cut) limited = true;
    available = available === undefined || r.available === undefined ? undefined : available + r.available;
    for (const it of mine) items.push(files.length > 1 ? { ...it, file: fi } : it);
    for (const s of r.skipped) skipped.push(files.length > 1 ? { ...s, file: data } : s);
  }

  if (!items.length) {
    const first = skipped[0];
    const shown = files.length === 1 ? (typeof opts.data === 'string' ? opts.data : files[0]) : `${files.length} files`;
    throw new VantageError(
      'bad-input',
      first
        ? `no usable ${opts.format} items in ${shown}: ${skipped.length} record(s) skipped, the first (record ${first.index}${first.file ? ` of ${first.file}` : ''}) because ${first.reason}`
        : `no ${opts.format} records in ${shown}`,
      first && /image/.test(first.reason)
        ? 'pass --image-root DIR: the directory the image paths in the file are relative to'
        : `check that --format ${opts.format} matches the file`,
    );
  }
  return {
    format: opts.format,
    files,
    items,
    skipped,
    ...(available !== undefined ? { available } : {}),
    ...(limited ? { limited: true } : {}),
  };
}
