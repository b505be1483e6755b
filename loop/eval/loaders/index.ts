/**
 * Benchmark loaders: one reader per format (a file each, as splat-transform's readers/read-*.ts),
 * each turning the published records into EvalItems (absolute image paths, question text, option
 * texts, ground-truth letter, category):
 *
 *   native.ts    Vantage's own question sets        mindcube.ts  MindCube JSONL
 *   sat.ts       SAT as MindJourney's test.json     mmsi.ts      MMSI-Bench parquet
 *   blink.ts     BLINK records                      cvbench.ts   CV-Bench records
 *
 * Any format may also come as .parquet, .json (array) or .jsonl (records.ts); image fields may hold
 * paths, bytes, or {bytes, path} structs (Hugging Face's Image feature), read by fields.ts. Image
 * bytes are written once, by content hash, to a cache directory so that items stay plain paths.
 *
 * Records that cannot be used (no ground truth among the options, a missing image) are skipped with
 * the reason; the run goes on without them.
 */
import { stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { VantageError } from '../../../core/errors.js';
import { readNativeJsonl, type NativeRecord } from '../../../core/io/native-set.js';
import { EVAL_FORMATS, type EvalFormat, type EvalItem, type LoadedItems, type SkippedRecord } from '../types.js';
import { recordId, type RawRecord, type RecordContext } from './fields.js';
import { forEachParquetRecord, readJsonRecords } from './records.js';
import { nativeItem } from './native.js';
import { mindcubeItem } from './mindcube.js';
import { satItem } from './sat.js';
import { mmsiItem } from './mmsi.js';
import { blinkItem } from './blink.js';
import { cvbenchItem } from './cvbench.js';

export type { RawRecord, RecordContext } from './fields.js';
export { readJsonRecords } from './records.js';

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

type Reader = (rec: RawRecord, index: number, ctx: RecordContext) => Promise<EvalItem> | EvalItem;

/** The reader of each format. */
const READERS: Record<EvalFormat, Reader> = {
  native: (rec) => nativeItem(rec as unknown as NativeRecord),
  mindcube: mindcubeItem,
  sat: satItem,
  mmsi: mmsiItem,
  blink: blinkItem,
  cvbench: cvbenchItem,
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
    await forEachParquetRecord(data, opts.data, take, () => items.length >= limit);
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
