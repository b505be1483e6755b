/**
 * Depth maps in and out, always as metres in a Float32Array (0 = no depth).
 *
 * Formats (DepthFormat):
 * - png16: uint16 PNG (or 16-bit PGM), metres = value / scale, scale default 1000 (millimetres)
 * - tum:   TUM RGB-D, uint16 / 5000
 * - nyu:   NYU Depth v2 raw Kinect disparity d in a 16-bit PGM, metres = 351.3 / (1092.5 − d),
 *          d ≥ 1092.5 invalid. The PGM spec says big-endian, but files written by the NYU toolbox
 *          (and Open3D's test copy) hold little-endian samples; Kinect disparity is 11-bit, so the
 *          byte order whose values fit in 0..2047 is the one used (and noted).
 * - sun3d: uint16 with its bits rotated: d = ((d >> 3) | (d << 13)) & 0xffff, then / 1000
 * - npy:   NumPy .npy, float32 / float64 (metres) or uint16 (millimetres), shape (H, W), (1, H, W)
 *          or (H, W, 1), C order; either byte order
 * - pfm:   Portable Float Map, 'Pf' (grey) or 'PF' (first channel), negative scale = little-endian,
 *          rows stored bottom-to-top
 * - auto:  by extension (.npy, .pfm, .pgm → nyu, .png → png16), else by the file's magic bytes.
 * Zero, NaN, ±∞ and negative depths become 0 ("no depth") and are counted in `stats`.
 */
import sharp, { type Metadata } from 'sharp';
import { IO_DEFAULTS } from '../config.js';
import { VantageError } from '../errors.js';
import { extensionOf, readFileCapped, writeFileChecked } from './files.js';
import { checkImageSize, isPnm, parsePnm } from './image.js';

export type DepthFormat = 'png16' | 'tum' | 'nyu' | 'sun3d' | 'npy' | 'pfm' | 'auto';
export const DEPTH_FORMATS: readonly DepthFormat[] = ['png16', 'tum', 'nyu', 'sun3d', 'npy', 'pfm', 'auto'];

export interface DepthStats {
  /** pixels with a usable depth */
  valid: number;
  /** pixels set to 0: no depth in the file, or a value that cannot be a depth */
  invalid: number;
  /** smallest / largest valid depth in metres (0 when there is none) */
  min: number;
  max: number;
  /** of the invalid: how many were negative, how many NaN or infinite */
  negative: number;
  nonFinite: number;
}

export interface DepthMap {
  width: number;
  height: number;
  /** width × height, row-major, metres; 0 = no depth */
  depth: Float32Array;
  units: 'metres';
  stats: DepthStats;
  /** the format actually read ('auto' resolved) */
  format: Exclude<DepthFormat, 'auto'>;
  /** facts worth a trace line: auto-detected format, byte order chosen, values dropped */
  notes: string[];
}

export interface ReadDepthOptions {
  format?: DepthFormat;
  /** raw units per metre (metres = raw / scale); defaults per format, not used by 'nyu' */
  scale?: number;
  /** how the file is named in errors (default: the path) */
  name?: string;
}

const FORMAT_WORDS: Record<Exclude<DepthFormat, 'auto'>, string> = {
  png16: '16-bit PNG',
  tum: 'TUM 16-bit PNG (÷5000)',
  nyu: 'NYU raw disparity PGM',
  sun3d: 'SUN3D 16-bit PNG (bit-rotated)',
  npy: 'NumPy .npy',
  pfm: 'PFM',
};

/** A depth map in metres, validated; throws a VantageError for anything that is not one. */
export async function readDepth(path: string, opts: ReadDepthOptions = {}): Promise<DepthMap> {
  const name = opts.name ?? path;
  const requested = opts.format ?? 'auto';
  if (!DEPTH_FORMATS.includes(requested)) {
    throw new VantageError(
      'bad-option',
      `unknown depth format "${requested}"`,
      `use one of ${DEPTH_FORMATS.join(', ')}`,
    );
  }
  if (opts.scale !== undefined && !(Number.isFinite(opts.scale) && opts.scale > 0)) {
    throw new VantageError(
      'bad-option',
      `depth scale must be a positive number, got ${opts.scale}`,
      'e.g. 1000 for millimetres, 5000 for TUM',
    );
  }
  const buf = await readFileCapped(path, { name, what: 'depth map' });
  const notes: string[] = [];
  const format = requested === 'auto' ? detectDepthFormat(path, buf) : requested;
  if (requested === 'auto')
    notes.push(`depth format of "${name}" taken as ${format} (${FORMAT_WORDS[format]}) from its name/contents`);
  if (format === 'nyu' && opts.scale !== undefined) {
    throw new VantageError(
      'bad-option',
      `a depth scale does not apply to NYU disparity ("${name}")`,
      'drop the scale, or pick another depth format',
    );
  }

  let width: number;
  let height: number;
  let metres: Float32Array;
  if (format === 'npy' || format === 'pfm') {
    const arr = format === 'npy' ? parseNpy(buf, name) : parsePfm(buf, name);
    ({ width, height } = arr);
    let scale = opts.scale ?? 1;
    if (arr.dtype === 'uint16' && opts.scale === undefined) {
      scale = IO_DEFAULTS.npyUint16DepthScale;
      notes.push(`uint16 depth in "${name}" taken as millimetres (pass a scale if not)`);
    }
    metres = new Float32Array(width * height);
    for (let i = 0; i < metres.length; i++) metres[i] = arr.values[i] / scale;
  } else {
    const u16 = await readUint16Depth(buf, name, format, notes);
    ({ width, height } = u16);
    metres = metresFromUint16(u16.values, format, opts.scale);
  }
  checkImageSize(width, height, name);

  const stats = sanitizeDepth(metres);
  if (stats.negative > 0) notes.push(`${stats.negative} negative depth values in "${name}" set to 0 (no depth)`);
  if (stats.nonFinite > 0) notes.push(`${stats.nonFinite} NaN/infinite depth values in "${name}" set to 0 (no depth)`);
  if (stats.valid === 0) {
    throw new VantageError(
      'depth-no-valid',
      `depth map "${name}" has no valid pixel (all ${width * height} are zero, negative, NaN or out of range for ${format})`,
      'check the file and the depth format (png16 / tum / nyu / sun3d / npy / pfm)',
    );
  }
  notes.push(`depth units of "${name}": ${unitsOf(format, opts.scale, notes)}`);
  const median = medianOfValid(metres);
  const [lo, hi] = IO_DEFAULTS.plausibleMedianDepthM;
  if (median < lo || median > hi) {
    notes.push(
      `warning: median depth of "${name}" is ${median.toPrecision(3)} m, not a plausible scene (${lo}–${hi} m): ` +
        'check the depth format and --depth-scale',
    );
  }
  return { width, height, depth: metres, units: 'metres', stats, format, notes };
}

/** How raw values became metres, for the trace and the terminal (the chosen units are never silent). */
function unitsOf(format: Exclude<DepthFormat, 'auto'>, scale: number | undefined, notes: string[]): string {
  const given = scale !== undefined ? ` (given scale)` : '';
  switch (format) {
    case 'nyu':
      return `Kinect disparity, metres = ${IO_DEFAULTS.nyuDisparity.numerator} / (${IO_DEFAULTS.nyuDisparity.offset} − d)`;
    case 'npy':
    case 'pfm':
      if (notes.some((n) => n.startsWith('uint16 depth')))
        return `uint16 ÷ ${scale ?? IO_DEFAULTS.npyUint16DepthScale}${given}`;
      return scale !== undefined ? `float ÷ ${scale}${given}` : 'float metres';
    case 'tum':
      return `uint16 ÷ ${scale ?? IO_DEFAULTS.tumDepthScale}${given}`;
    case 'sun3d':
      return `uint16 (bit-rotated) ÷ ${scale ?? IO_DEFAULTS.sun3dDepthScale}${given}`;
    case 'png16':
      return `uint16 ÷ ${scale ?? IO_DEFAULTS.png16DepthScale}${scale === undefined ? ' (millimetres)' : given}`;
  }
}

/** Format from the extension, else from magic bytes; PNG and unknown default to png16. */
export function detectDepthFormat(path: string, buf?: Uint8Array): Exclude<DepthFormat, 'auto'> {
  const ext = extensionOf(path);
  if (ext === '.npy') return 'npy';
  if (ext === '.pfm') return 'pfm';
  if (ext === '.pgm') return 'nyu';
  if (ext === '.png') return 'png16';
  if (buf && buf.length >= 6) {
    if (buf[0] === 0x93 && String.fromCharCode(...buf.subarray(1, 6)) === 'NUMPY') return 'npy';
    if (
      buf[0] === 0x50 &&
      (buf[1] === 0x66 || buf[1] === 0x46) &&
      (buf[2] === 0x0a || buf[2] === 0x20 || buf[2] === 0x0d)
    )
      return 'pfm';
    if (buf[0] === 0x50 && buf[1] === 0x35) return 'nyu';
  }
  return 'png16';
}

/** Number of valid (> 0, finite) depths; zeroes everything else in place and counts why. */
export function sanitizeDepth(depth: Float32Array): DepthStats {
  let valid = 0;
  let negative = 0;
  let nonFinite = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < depth.length; i++) {
    const d = depth[i];
    if (d > 0 && d !== Infinity) {
      valid++;
      if (d < min) min = d;
      if (d > max) max = d;
    } else {
      if (d < 0 && d !== -Infinity) negative++;
      else if (!Number.isFinite(d)) nonFinite++;
      depth[i] = 0;
    }
  }
  return valid > 0
    ? { valid, invalid: depth.length - valid, min, max, negative, nonFinite }
    : { valid: 0, invalid: depth.length, min: 0, max: 0, negative, nonFinite };
}

function medianOfValid(depth: Float32Array): number {
  const step = Math.max(1, Math.floor(depth.length / 50_000));
  const s = new Float32Array(Math.ceil(depth.length / step));
  let k = 0;
  for (let i = 0; i < depth.length; i += step) if (depth[i] > 0) s[k++] = depth[i];
  const v = s.subarray(0, k).sort(); // typed-array sort is numeric
  return k ? v[k >> 1] : 0;
}

// ---------------------------------------------------------------------------------------------
// uint16 formats (png16, tum, nyu, sun3d)

interface Uint16Depth {
  width: number;
  height: number;
  values: Uint16Array;
}

async function readUint16Depth(
  buf: Buffer,
  name: string,
  format: Exclude<DepthFormat, 'auto'>,
  notes: string[],
): Promise<Uint16Depth> {
  if (isPnm(buf)) return uint16FromPnm(buf, name, format, notes);
  if (format === 'nyu') {
    throw new VantageError(
      'depth-corrupt',
      `NYU depth "${name}" is not a binary PGM (P5)`,
      'NYU raw depth comes as 16-bit .pgm files; for a 16-bit PNG use format png16',
    );
  }
  let meta: Metadata;
  try {
    meta = await sharp(buf).metadata();
  } catch (e) {
    throw corruptDepthError(name, format, e);
  }
  checkImageSize(meta.width ?? 0, meta.height ?? 0, name);
  if (meta.depth !== 'ushort') {
    throw new VantageError(
      'depth-not-16bit',
      `depth map "${name}" is an ${meta.depth === 'uchar' ? '8' : meta.depth}-bit ${meta.format?.toUpperCase()}; ` +
        `a ${format} depth map must be a 16-bit single-channel PNG (an 8-bit image cannot hold metric depth)`,
      'save depth as uint16 (e.g. millimetres), .npy or .pfm; an 8-bit picture of depth is a visualisation, not a depth map',
    );
  }
  if ((meta.channels ?? 1) > 2) {
    throw new VantageError(
      'depth-not-16bit',
      `depth map "${name}" has ${meta.channels} channels; a depth PNG must be single-channel (greyscale) 16-bit`,
      'save the depth as a one-channel uint16 PNG',
    );
  }
  try {
    const { data, info } = await sharp(buf)
      .extractChannel(0)
      .toColourspace('grey16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    // sharp returns host-endian samples; an aligned copy makes them a Uint16Array
    const values = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + info.width * info.height * 2));
    return { width: info.width, height: info.height, values };
  } catch (e) {
    throw corruptDepthError(name, format, e);
  }
}

function uint16FromPnm(buf: Buffer, name: string, format: Exclude<DepthFormat, 'auto'>, notes: string[]): Uint16Depth {
  let p;
  try {
    p = parsePnm(buf, name);
  } catch (e) {
    throw new VantageError(
      'depth-corrupt',
      `depth map "${name}": ${(e as Error).message.replace(/^PPM\/PGM file "[^"]*" /, 'PGM ')}`,
      'check the file was written completely',
      { cause: e },
    );
  }
  if (p.channels !== 1) {
    throw new VantageError(
      'depth-corrupt',
      `depth map "${name}" is a colour PPM; depth must be a single-channel 16-bit PGM (P5)`,
    );
  }
  if (p.bytesPerSample !== 2) {
    throw new VantageError(
      'depth-not-16bit',
      `depth map "${name}" is an 8-bit PGM (maxval ${p.maxval}); ${format} depth must be 16-bit (maxval > 255)`,
      'an 8-bit picture of depth is a visualisation, not a depth map',
    );
  }
  const n = p.width * p.height;
  const be = new Uint16Array(n);
  let maxBe = 0;
  let maxLe = 0;
  for (let i = 0; i < n; i++) {
    const hi = p.data[2 * i];
    const lo = p.data[2 * i + 1];
    be[i] = (hi << 8) | lo;
    if (be[i] > maxBe) maxBe = be[i];
    const le = (lo << 8) | hi;
    if (le > maxLe) maxLe = le;
  }
  // Kinect disparity is 11-bit: if only the swapped reading fits, the file is little-endian.
  if (format === 'nyu' && maxBe > 2047 && maxLe <= 2047) {
    notes.push(`NYU disparity "${name}" holds little-endian samples (Kinect 11-bit range), read as such`);
    for (let i = 0; i < n; i++) be[i] = ((be[i] & 0xff) << 8) | (be[i] >> 8);
  }
  return { width: p.width, height: p.height, values: be };
}

function metresFromUint16(v: Uint16Array, format: 'png16' | 'tum' | 'nyu' | 'sun3d', scale?: number): Float32Array {
  const out = new Float32Array(v.length);
  if (format === 'nyu') {
    const { numerator, offset } = IO_DEFAULTS.nyuDisparity;
    for (let i = 0; i < v.length; i++) out[i] = v[i] < offset ? numerator / (offset - v[i]) : 0;
    return out;
  }
  if (format === 'sun3d') {
    const s = scale ?? IO_DEFAULTS.sun3dDepthScale;
    for (let i = 0; i < v.length; i++) out[i] = (((v[i] >> 3) | (v[i] << 13)) & 0xffff) / s;
    return out;
  }
  const s = scale ?? (format === 'tum' ? IO_DEFAULTS.tumDepthScale : IO_DEFAULTS.png16DepthScale);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / s;
  return out;
}

function corruptDepthError(name: string, format: string, cause: unknown): VantageError {
  const why = cause instanceof Error ? cause.message.trim() : String(cause);
  return new VantageError(
    'depth-corrupt',
    `depth map "${name}" cannot be decoded as ${format} (${why}); it is corrupt, truncated or not a 16-bit PNG. ` +
      'Supported depth files: 16-bit PNG (png16, tum, sun3d), 16-bit PGM (nyu), .npy, .pfm',
    'check the file, or pass the right depth format',
    { cause },
  );
}

// ---------------------------------------------------------------------------------------------
// NumPy .npy

export interface FloatArray2d {
  width: number;
  height: number;
  values: Float32Array | Float64Array | Uint16Array;
  dtype: 'float32' | 'float64' | 'uint16';
}

const NPY_MAGIC = '\x93NUMPY';

/** A 2-D array from .npy bytes (dtype float32, float64 or uint16; C order; either byte order). */
function parseNpy(buf: Buffer, name: string): FloatArray2d {
  const bad = (why: string, hint = 'save it with numpy.save(path, depth.astype(np.float32)) as a 2-D (H, W) array') =>
    new VantageError('depth-corrupt', `.npy depth "${name}" ${why}`, hint);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== NPY_MAGIC)
    throw bad('is not a NumPy .npy file (no \\x93NUMPY magic)');
  const major = buf[6];
  if (major !== 1 && major !== 2 && major !== 3) throw bad(`has unsupported .npy version ${major}.${buf[7]}`);
  const lenBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenBytes) throw bad('is truncated inside its header');
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const dataStart = 8 + lenBytes + headerLen;
  if (buf.length < dataStart) throw bad('is truncated inside its header');
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', 8 + lenBytes, dataStart);
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw bad(
      `has a malformed header (expected descr, fortran_order and shape): ${JSON.stringify(header.trim().slice(0, 120))}`,
    );
  }
  if (fortran === 'True') {
    throw bad(
      'is stored in Fortran (column-major) order; expected C order',
      'save np.ascontiguousarray(depth) instead',
    );
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`has a malformed shape (${shapeText})`);
  let dims = shape;
  if (dims.length === 3 && dims[0] === 1) dims = dims.slice(1);
  else if (dims.length === 3 && dims[2] === 1) dims = dims.slice(0, 2);
  if (dims.length !== 2)
    throw bad(`has shape (${shape.join(', ')}); expected a 2-D depth array (H, W), (1, H, W) or (H, W, 1)`);
  const [height, width] = dims;

  const m = /^([<>|=])?([fu])(\d+)$/.exec(descr);
  const kind = m ? `${m[2]}${m[3]}` : '';
  const dtype = kind === 'f4' ? 'float32' : kind === 'f8' ? 'float64' : kind === 'u2' ? 'uint16' : undefined;
  if (!m || !dtype) {
    throw new VantageError(
      'depth-bad-dtype',
      `.npy depth "${name}" has dtype '${descr}'; expected float32, float64 (metres) or uint16 (millimetres)`,
      'convert with depth.astype(np.float32)',
    );
  }
  const little = m[1] !== '>';
  const size = dtype === 'float64' ? 8 : dtype === 'float32' ? 4 : 2;
  const n = width * height;
  if (buf.length - dataStart < n * size) {
    throw bad(
      `is truncated: shape (${shape.join(', ')}) of ${dtype} needs ${n * size} bytes of data, the file has ${buf.length - dataStart}`,
      'check that the file was written completely',
    );
  }
  const dv = new DataView(buf.buffer, buf.byteOffset + dataStart, n * size);
  let values: Float32Array | Float64Array | Uint16Array;
  if (dtype === 'float32') {
    values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = dv.getFloat32(i * 4, little);
  } else if (dtype === 'float64') {
    values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = dv.getFloat64(i * 8, little);
  } else {
    values = new Uint16Array(n);
    for (let i = 0; i < n; i++) values[i] = dv.getUint16(i * 2, little);
  }
  return { width, height, values, dtype };
}

/** .npy v1.0 bytes of a float32 (H, W) array, little-endian, C order. */
export function encodeNpy(values: Float32Array, width: number, height: number): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${height}, ${width}), }`;
  // numpy pads the header with spaces so the data starts on a 64-byte boundary, ending in '\n'
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + header.length + values.length * 4);
  out.write(NPY_MAGIC, 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i], 10 + header.length + i * 4);
  return out;
}

// ---------------------------------------------------------------------------------------------
// PFM

/** A 2-D float array from PFM bytes ('Pf' grey or 'PF' colour → first channel), top row first. */
function parsePfm(buf: Buffer, name: string): FloatArray2d {
  const bad = (why: string) =>
    new VantageError('depth-corrupt', `PFM depth "${name}" ${why}`, 'check the file was written completely');
  // header: "Pf" or "PF", width, height, scale — whitespace separated, one whitespace byte before data
  const tokens: string[] = [];
  let pos = 0;
  while (tokens.length < 4) {
    while (pos < buf.length && isWs(buf[pos])) pos++;
    const start = pos;
    while (pos < buf.length && !isWs(buf[pos]) && pos - start < 32) pos++;
    if (pos === start || pos >= buf.length)
      throw bad('has a malformed header (expected "Pf"/"PF", width, height, scale)');
    tokens.push(buf.toString('latin1', start, pos));
  }
  pos++;
  const [magic, ws, hs, ss] = tokens;
  if (magic !== 'Pf' && magic !== 'PF')
    throw bad(`starts with "${magic.slice(0, 8)}"; expected "Pf" (grey) or "PF" (colour)`);
  const width = Number(ws);
  const height = Number(hs);
  const scale = Number(ss);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw bad(`has a bad size ${ws}×${hs}`);
  if (!Number.isFinite(scale) || scale === 0) throw bad(`has a bad scale "${ss}" (its sign gives the byte order)`);
  const little = scale < 0;
  const channels = magic === 'PF' ? 3 : 1;
  checkImageSize(width, height, name);
  const need = width * height * channels * 4;
  if (buf.length - pos < need)
    throw bad(
      `is truncated: ${width}×${height}×${channels} floats need ${need} bytes, the file has ${buf.length - pos}`,
    );
  const dv = new DataView(buf.buffer, buf.byteOffset + pos, need);
  const values = new Float32Array(width * height);
  for (let row = 0; row < height; row++) {
    const src = (height - 1 - row) * width; // rows are stored bottom-to-top
    for (let x = 0; x < width; x++) values[row * width + x] = dv.getFloat32((src + x) * channels * 4, little);
  }
  return { width, height, values, dtype: 'float32' };
}

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** PFM ('Pf', little-endian, bottom-to-top rows) bytes of a float32 map. */
export function encodePfm(values: Float32Array, width: number, height: number): Buffer {
  const header = Buffer.from(`Pf\n${width} ${height}\n-1.0\n`, 'latin1');
  const out = Buffer.alloc(header.length + values.length * 4);
  header.copy(out, 0);
  for (let row = 0; row < height; row++) {
    const dst = header.length + (height - 1 - row) * width * 4;
    for (let x = 0; x < width; x++) out.writeFloatLE(values[row * width + x], dst + x * 4);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing, preview, size check

/**
 * Write a metric depth map; the extension picks the format: .png → uint16 millimetres (0 = no depth;
 * depths over 65.535 m also become 0), .npy → float32, .pfm → float32 'Pf'.
 */
export async function writeDepth(path: string, depth: Float32Array, width: number, height: number): Promise<void> {
  if (depth.length !== width * height) {
    throw new VantageError(
      'bad-pixels',
      `depth buffer has ${depth.length} values but ${width}×${height} needs ${width * height}`,
    );
  }
  const ext = extensionOf(path);
  const clean = Float32Array.from(depth, (d) => (d > 0 && Number.isFinite(d) ? d : 0));
  let bytes: Buffer;
  if (ext === '.png') {
    const s = IO_DEFAULTS.depthPngWriteScale;
    const u16 = new Uint16Array(width * height);
    for (let i = 0; i < u16.length; i++) {
      const v = Math.round(clean[i] * s);
      u16[i] = v <= 65535 ? v : 0;
    }
    bytes = await sharp(u16, { raw: { width, height, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
  } else if (ext === '.npy') {
    bytes = encodeNpy(clean, width, height);
  } else if (ext === '.pfm') {
    bytes = encodePfm(clean, width, height);
  } else {
    throw new VantageError(
      'bad-option',
      `cannot write depth to "${path}": unknown extension "${ext}"; expected .png (uint16 millimetres), .npy or .pfm`,
      'name the output file with one of those extensions',
    );
  }
  await writeFileChecked(path, bytes, 'depth map');
}

/** Turbo colour map (Google's polynomial fit), t in 0..1 (0 = dark blue, 1 = dark red), 0..255 RGB. */
export function turbo(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  const x2 = x * x;
  const x3 = x2 * x;
  const x4 = x2 * x2;
  const x5 = x4 * x;
  const r = 0.13572138 + 4.6153926 * x - 42.66032258 * x2 + 132.13108234 * x3 - 152.94239396 * x4 + 59.28637943 * x5;
  const g = 0.09140261 + 2.19418839 * x + 4.84296658 * x2 - 14.18503333 * x3 + 4.27729857 * x4 + 2.82956604 * x5;
  const b = 0.1066733 + 12.64194608 * x - 60.58204836 * x2 + 110.36276771 * x3 - 89.90310912 * x4 + 27.34824973 * x5;
  const c = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
  return [c(r), c(g), c(b)];
}

/** RGB PNG of a depth map for humans: near = warm (red), far = cool (blue), no depth = black. */
export async function depthPreviewPng(depth: Float32Array, width: number, height: number): Promise<Buffer> {
  if (depth.length !== width * height) {
    throw new VantageError(
      'bad-pixels',
      `depth buffer has ${depth.length} values but ${width}×${height} needs ${width * height}`,
    );
  }
  // colour by inverse depth between robust percentiles: detail where it is near, as the eye sees it
  const step = Math.max(1, Math.floor(depth.length / 100_000));
  const sample = new Float32Array(Math.ceil(depth.length / step));
  let k = 0;
  for (let i = 0; i < depth.length; i += step)
    if (depth[i] > 0 && Number.isFinite(depth[i])) sample[k++] = 1 / depth[i];
  const inv = sample.subarray(0, k).sort();
  const [pLo, pHi] = IO_DEFAULTS.depthPreviewPercentiles;
  const lo = inv.length ? inv[Math.floor(((inv.length - 1) * pLo) / 100)] : 0;
  const hi = inv.length ? inv[Math.ceil(((inv.length - 1) * pHi) / 100)] : 1;
  const span = hi - lo;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < depth.length; i++) {
    const d = depth[i];
    if (!(d > 0 && Number.isFinite(d))) continue; // black
    // turbo's ends are near-black: use 0.1 (blue) .. 0.95 (red) so both ends read as colours
    const t = hi - lo > 1e-12 ? Math.min(1, Math.max(0, (1 / d - lo) / span)) : 0.5;
    const [r, g, b] = turbo(0.1 + 0.85 * t);
    rgb[i * 3] = r;
    rgb[i * 3 + 1] = g;
    rgb[i * 3 + 2] = b;
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

export interface Sized {
  width: number;
  height: number;
  /** the file's name as the user gave it */
  name: string;
  /** what it is, in one word, for the message (default: 'image' for the first, 'depth' for the second) */
  kind?: string;
}

/** Throws unless two inputs (by default an image and its depth) have the same pixel size. */
export function checkSameSize(a: Sized, b: Sized): void {
  if (a.width === b.width && a.height === b.height) return;
  const ka = a.kind ?? 'image';
  const kb = b.kind ?? 'depth';
  throw new VantageError(
    'size-mismatch',
    `${ka} ${a.name} is ${a.width}×${a.height} but ${kb} ${b.name} is ${b.width}×${b.height}; ` +
      `they must match (resize the ${kb} or pass matching files)`,
    `resize one to the other's size (nearest-neighbour for depth), or pass the ${kb} that belongs to this ${ka}`,
  );
}
