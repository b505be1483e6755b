/**
 * A minimal Parquet writer for tests (hyparquet only reads): one row group, one uncompressed PLAIN
 * data page (v1) per column, written as pyarrow writes a Hugging Face dataset's columns:
 *
 *   required int32 / int64, optional binary (UTF8 strings or raw bytes), and lists of binary as
 *   `optional group NAME (LIST) { repeated group list { optional binary element } }`.
 *
 * Pages are uncompressed, or gzip (codec 2) to test a codec hyparquet does not decode by itself.
 * Metadata is Thrift compact protocol, encoded by hand below (format: apache/parquet-format).
 * Enough to make small MMSI-Bench-shaped files; not a general writer.
 */
import { gzipSync } from 'node:zlib';

export type ParquetColumn =
  | { name: string; kind: 'int32' | 'int64'; values: number[] }
  | { name: string; kind: 'string'; values: (string | null)[] }
  | { name: string; kind: 'bytes'; values: (Uint8Array | null)[] }
  | { name: string; kind: 'bytes-list'; values: (Uint8Array[] | null)[] };

// ---- Thrift compact protocol -------------------------------------------------------------

const T = { I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

class Out {
  bytes: number[] = [];
  byte(b: number) {
    this.bytes.push(b & 0xff);
  }
  varint(n: bigint) {
    let v = n;
    while (v >= 0x80n) {
      this.byte(Number((v & 0x7fn) | 0x80n));
      v >>= 7n;
    }
    this.byte(Number(v));
  }
  zigzag(n: number | bigint) {
    const v = BigInt(n);
    this.varint(v >= 0n ? v << 1n : (-v << 1n) - 1n);
  }
  raw(b: Uint8Array | number[]) {
    for (const x of b) this.bytes.push(x);
  }
  u32le(n: number) {
    this.raw([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
  }
}

type TValue =
  | { t: 'i32'; v: number }
  | { t: 'i64'; v: number }
  | { t: 'str'; v: string | Uint8Array }
  | { t: 'list'; elem: 'i32' | 'str' | 'struct'; v: (number | string | TStruct)[] }
  | { t: 'struct'; v: TStruct };
type TStruct = [number, TValue][];

function typeId(v: TValue): number {
  return v.t === 'i32' ? T.I32 : v.t === 'i64' ? T.I64 : v.t === 'str' ? T.BINARY : v.t === 'list' ? T.LIST : T.STRUCT;
}

function writeStruct(out: Out, fields: TStruct) {
  let last = 0;
  for (const [id, v] of fields) {
    const delta = id - last;
    if (delta > 0 && delta <= 15) out.byte((delta << 4) | typeId(v));
    else {
      out.byte(typeId(v));
      out.zigzag(id);
    }
    last = id;
    writeValue(out, v);
  }
  out.byte(0);
}

function writeValue(out: Out, v: TValue) {
  switch (v.t) {
    case 'i32':
    case 'i64':
      out.zigzag(v.v);
      break;
    case 'str': {
      const b = typeof v.v === 'string' ? new TextEncoder().encode(v.v) : v.v;
      out.varint(BigInt(b.length));
      out.raw(b);
      break;
    }
    case 'list': {
      const et = v.elem === 'i32' ? T.I32 : v.elem === 'str' ? T.BINARY : T.STRUCT;
      if (v.v.length < 15) out.byte((v.v.length << 4) | et);
      else {
        out.byte(0xf0 | et);
        out.varint(BigInt(v.v.length));
      }
      for (const e of v.v) {
        if (v.elem === 'i32') out.zigzag(e as number);
        else if (v.elem === 'str') writeValue(out, { t: 'str', v: e as string });
        else writeStruct(out, e as TStruct);
      }
      break;
    }
    case 'struct':
      writeStruct(out, v.v);
      break;
  }
}

// ---- levels and values -------------------------------------------------------------------

/** RLE/bit-packed hybrid: one RLE run per value (valid, if not compact), with the 4-byte length prefix. */
function levels(values: number[], maxLevel: number): number[] {
  const width = Math.max(1, Math.ceil(Math.log2(maxLevel + 1)));
  const bytesPerValue = Math.ceil(width / 8);
  const body = new Out();
  let i = 0;
  while (i < values.length) {
    let j = i;
    while (j < values.length && values[j] === values[i]) j++;
    body.varint(BigInt((j - i) << 1));
    for (let k = 0; k < bytesPerValue; k++) body.byte(values[i] >> (8 * k));
    i = j;
  }
  const out = new Out();
  out.u32le(body.bytes.length);
  out.raw(body.bytes);
  return out.bytes;
}

interface Chunk {
  page: number[];
  numValues: number;
  type: number;
  path: string[];
}

const enc = new TextEncoder();
const PT = { INT32: 1, INT64: 2, BYTE_ARRAY: 6 } as const;

function chunkOf(c: ParquetColumn): Chunk {
  const data = new Out();
  if (c.kind === 'int32' || c.kind === 'int64') {
    for (const v of c.values) {
      if (c.kind === 'int32') data.u32le(v >>> 0);
      else {
        data.u32le(v >>> 0);
        data.u32le(Math.floor(v / 2 ** 32));
      }
    }
    return {
      page: data.bytes,
      numValues: c.values.length,
      type: c.kind === 'int32' ? PT.INT32 : PT.INT64,
      path: [c.name],
    };
  }
  if (c.kind === 'string' || c.kind === 'bytes') {
    const defs = c.values.map((v) => (v === null ? 0 : 1));
    const page = [...levels(defs, 1)];
    for (const v of c.values) {
      if (v === null) continue;
      const b = typeof v === 'string' ? enc.encode(v) : v;
      const o = new Out();
      o.u32le(b.length);
      o.raw(b);
      page.push(...o.bytes);
    }
    return { page, numValues: c.values.length, type: PT.BYTE_ARRAY, path: [c.name] };
  }
  // list<binary>: max repetition 1, max definition 3 (optional list, repeated group, optional element)
  const reps: number[] = [];
  const defs: number[] = [];
  const vals: Uint8Array[] = [];
  for (const row of (c as Extract<ParquetColumn, { kind: 'bytes-list' }>).values) {
    if (row === null) {
      reps.push(0);
      defs.push(0);
      continue;
    }
    if (!row.length) {
      reps.push(0);
      defs.push(1);
      continue;
    }
    row.forEach((b, i) => {
      reps.push(i === 0 ? 0 : 1);
      defs.push(3);
      vals.push(b);
    });
  }
  const page = [...levels(reps, 1), ...levels(defs, 3)];
  for (const b of vals) {
    const o = new Out();
    o.u32le(b.length);
    o.raw(b);
    page.push(...o.bytes);
  }
  return { page, numValues: reps.length, type: PT.BYTE_ARRAY, path: [c.name, 'list', 'element'] };
}

function schemaOf(columns: ParquetColumn[]): TStruct[] {
  const els: TStruct[] = [
    [
      [4, { t: 'str', v: 'schema' }],
      [5, { t: 'i32', v: columns.length }],
    ],
  ];
  for (const c of columns) {
    if (c.kind === 'int32' || c.kind === 'int64') {
      els.push([
        [1, { t: 'i32', v: c.kind === 'int32' ? PT.INT32 : PT.INT64 }],
        [3, { t: 'i32', v: 0 }],
        [4, { t: 'str', v: c.name }],
      ]);
    } else if (c.kind === 'string') {
      els.push([
        [1, { t: 'i32', v: PT.BYTE_ARRAY }],
        [3, { t: 'i32', v: 1 }],
        [4, { t: 'str', v: c.name }],
        [6, { t: 'i32', v: 0 /* UTF8 */ }],
      ]);
    } else if (c.kind === 'bytes') {
      els.push([
        [1, { t: 'i32', v: PT.BYTE_ARRAY }],
        [3, { t: 'i32', v: 1 }],
        [4, { t: 'str', v: c.name }],
      ]);
    } else {
      els.push([
        [3, { t: 'i32', v: 1 }],
        [4, { t: 'str', v: c.name }],
        [5, { t: 'i32', v: 1 }],
        [6, { t: 'i32', v: 3 /* LIST */ }],
      ]);
      els.push([
        [3, { t: 'i32', v: 2 }],
        [4, { t: 'str', v: 'list' }],
        [5, { t: 'i32', v: 1 }],
      ]);
      els.push([
        [1, { t: 'i32', v: PT.BYTE_ARRAY }],
        [3, { t: 'i32', v: 1 }],
        [4, { t: 'str', v: 'element' }],
      ]);
    }
  }
  return els;
}

/** The bytes of a Parquet file holding `columns` (all of the same length); pages optionally gzip-compressed. */
export function writeParquet(columns: ParquetColumn[], opts: { codec?: 'uncompressed' | 'gzip' } = {}): Uint8Array {
  const gzip = opts.codec === 'gzip';
  const rows = columns[0]?.values.length ?? 0;
  if (columns.some((c) => c.values.length !== rows)) throw new Error('columns differ in length');
  const file = new Out();
  file.raw(enc.encode('PAR1'));
  const chunkMeta: TStruct[] = [];
  let total = 0;
  for (const c of columns) {
    const ch = chunkOf(c);
    const raw = ch.page.length;
    if (gzip) ch.page = [...gzipSync(Uint8Array.from(ch.page))];
    const header = new Out();
    writeStruct(header, [
      [1, { t: 'i32', v: 0 }],
      [2, { t: 'i32', v: raw }],
      [3, { t: 'i32', v: ch.page.length }],
      [
        5,
        {
          t: 'struct',
          v: [
            [1, { t: 'i32', v: ch.numValues }],
            [2, { t: 'i32', v: 0 }],
            [3, { t: 'i32', v: 3 }],
            [4, { t: 'i32', v: 3 }],
          ],
        },
      ],
    ]);
    const offset = file.bytes.length;
    file.raw(header.bytes);
    file.raw(ch.page);
    const size = header.bytes.length + ch.page.length;
    total += size;
    chunkMeta.push([
      [2, { t: 'i64', v: offset }],
      [
        3,
        {
          t: 'struct',
          v: [
            [1, { t: 'i32', v: ch.type }],
            [2, { t: 'list', elem: 'i32', v: [0, 3] }],
            [3, { t: 'list', elem: 'str', v: ch.path }],
            [4, { t: 'i32', v: gzip ? 2 : 0 }],
            [5, { t: 'i64', v: ch.numValues }],
            [6, { t: 'i64', v: size - ch.page.length + raw }],
            [7, { t: 'i64', v: size }],
            [9, { t: 'i64', v: offset }],
          ],
        },
      ],
    ]);
  }
  const footer = new Out();
  writeStruct(footer, [
    [1, { t: 'i32', v: 1 }],
    [2, { t: 'list', elem: 'struct', v: schemaOf(columns) }],
    [3, { t: 'i64', v: rows }],
    [
      4,
      {
        t: 'list',
        elem: 'struct',
        v: [
          [
            [1, { t: 'list', elem: 'struct', v: chunkMeta }],
            [2, { t: 'i64', v: total }],
            [3, { t: 'i64', v: rows }],
          ],
        ],
      },
    ],
    [6, { t: 'str', v: 'vantage test parquet writer' }],
  ]);
  file.raw(footer.bytes);
  file.u32le(footer.bytes.length);
  file.raw(enc.encode('PAR1'));
  return Uint8Array.from(file.bytes);
}
