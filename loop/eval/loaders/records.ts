/**
 * Records of a data file, whatever the benchmark: a JSON array, JSONL (one object a line), parquet
 * (read with hyparquet in batches; image columns make rows large), or TSV with a header row
 * (VLMEvalKit's files, streamed).
 */
import { createReadStream } from 'node:fs';
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

/**
 * Complete rows of TSV text as written by pandas `to_csv(sep='\t')` (VLMEvalKit's files): fields
 * separated by tabs, rows by newlines, a field holding a tab, newline or quote wrapped in quotes
 * with its quotes doubled. Returns the rows and the unparsed tail (an incomplete last row) unless
 * `final`.
 */
export function parseTsvRows(s: string, final: boolean): { rows: string[][]; rest: string } {
  const rows: string[][] = [];
  let i = 0;
  let rowStart = 0;
  let fields: string[] = [];
  const incomplete = () => ({ rows, rest: s.slice(rowStart) });
  while (i < s.length) {
    if (s[i] === '"') {
      let j = i + 1;
      let val = '';
      for (;;) {
        const q = s.indexOf('"', j);
        if (q < 0 || (q + 1 >= s.length && !final)) {
          if (!final) return incomplete();
          throw new VantageError('bad-input', 'a quoted TSV field is not closed before the end of the file');
        }
        if (s[q + 1] === '"') {
          val += s.slice(j, q) + '"';
          j = q + 2;
          continue;
        }
        val += s.slice(j, q);
        i = q + 1;
        break;
      }
      fields.push(val);
    } else {
      const t = s.indexOf('\t', i);
      const n = s.indexOf('\n', i);
      let end = t < 0 ? n : n < 0 ? t : Math.min(t, n);
      if (end < 0) {
        if (!final) return incomplete();
        end = s.length;
      }
      fields.push(s.slice(i, end).replace(/\r$/, ''));
      i = end;
    }
    if (i >= s.length) {
      if (!final) return incomplete();
      break;
    }
    if (s[i] === '\t') {
      i++;
      if (i >= s.length) {
        if (!final) return incomplete();
        fields.push('');
      }
      continue;
    }
    if (s[i] === '\r') i++;
    if (s[i] === '\n') {
      i++;
      rows.push(fields);
      fields = [];
      rowStart = i;
    }
  }
  if (fields.length) rows.push(fields);
  return { rows, rest: '' };
}

/** The rows of a TSV file with a header row, streamed (VLMEvalKit TSVs hold base64 images: often a gigabyte). */
export async function forEachTsvRecord(
  path: string,
  take: (rec: RawRecord, index: number) => Promise<void>,
  enough: () => boolean,
): Promise<void> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let header: string[] | undefined;
  let index = 0;
  let buf = '';
  const emit = async (fields: string[]) => {
    if (!header) {
      header = fields.map((h) => h.trim());
      return;
    }
    if (fields.length === 1 && fields[0] === '') return;
    const rec: RawRecord = {};
    header.forEach((h, i) => {
      if (h) rec[h] = fields[i] ?? '';
    });
    await take(rec, index++);
  };
  try {
    for await (const chunk of stream) {
      const parsed = parseTsvRows(buf + (chunk as string), false);
      buf = parsed.rest;
      for (const r of parsed.rows) {
        if (enough()) return;
        await emit(r);
      }
    }
    for (const r of parseTsvRows(buf, true).rows) {
      if (enough()) return;
      await emit(r);
    }
  } finally {
    stream.destroy();
  }
}
