/**
 * Records of a data file, whatever the benchmark: a JSON array, JSONL (one object a line), or
 * parquet (read with hyparquet in batches; image columns make rows large).
 */
import { readFile } from 'node:fs/promises';
import zlib from 'node:zlib';
import { VantageError } from '../../../core/errors.js';
import { EVAL_DEFAULTS } from '../config.js';
import { isObject, type RawRecord } from './fields.js';

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

/** Decompressors for parquet codecs beyond hyparquet's built-in snappy, from node:zlib (zstd where Node has it). */
function parquetCompressors(): Record<string, (input: Uint8Array, outputLength: number) => Uint8Array> {
  const z = zlib as typeof zlib & { zstdDecompressSync?: (b: Uint8Array) => Buffer };
  return {
    GZIP: (b) => zlib.gunzipSync(b),
    BROTLI: (b) => zlib.brotliDecompressSync(b),
    ...(typeof z.zstdDecompressSync === 'function' ? { ZSTD: (b: Uint8Array) => z.zstdDecompressSync!(b) } : {}),
  };
}

/**
 * The rows of a parquet file, batch by batch, as (row, index) to `take` until `enough()` says
 * stop: image columns make whole files too large to hold at once.
 */
export async function forEachParquetRecord(
  path: string,
  shown: string,
  take: (rec: RawRecord, index: number) => Promise<void>,
  enough: () => boolean,
): Promise<void> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
  const file = await asyncBufferFromFile(path);
  let rows: number;
  let metadata;
  try {
    metadata = await parquetMetadataAsync(file);
    rows = Number(metadata.num_rows);
  } catch (e) {
    throw new VantageError('bad-input', `${shown} is not a readable parquet file: ${(e as Error).message}`);
  }
  for (let start = 0; start < rows && !enough(); start += EVAL_DEFAULTS.parquetBatchRows) {
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
        `cannot read rows ${start}… of ${shown}: ${(e as Error).message}`,
        `codecs read here: uncompressed, snappy, ${Object.keys(parquetCompressors()).join(', ').toLowerCase()}; re-save other codecs with snappy`,
      );
    }
    for (let i = 0; i < batch.length && !enough(); i++) await take(batch[i], start + i);
  }
}
