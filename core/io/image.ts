/**
 * Colour images in and out: any PNG, JPEG, WebP (sharp) or binary PPM/PGM (parsed here: this sharp
 * build has no PNM loader) becomes 8-bit RGB, upright (EXIF orientation applied), alpha composited
 * on black. Every bad input ends in a VantageError that names the file and the supported formats.
 */
import sharp, { type Metadata } from 'sharp';
import { INPUT_LIMITS } from '../config.js';
import { VantageError } from '../errors.js';
import { readFileCapped, writeFileChecked } from './files.js';

export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3, row-major, sRGB 0..255 */
  rgb: Uint8Array;
  /**
   * width × height, 1 where the image is fully transparent (alpha 0): there is no surface there,
   * whatever colour the file stores (absent when no pixel is transparent)
   */
  transparent?: Uint8Array;
}

export interface ReadImageOptions {
  /** refuse images with more pixels than this (default INPUT_LIMITS.maxImagePixels) */
  maxPixels?: number;
  /** how the image is named in errors (default: the path, or "image buffer") */
  name?: string;
}

const SUPPORTED_IMAGE_FORMATS = 'PNG, JPEG, WebP or binary PPM/PGM (also GIF, TIFF, AVIF)';
/** sharp formats we accept as colour images (vector and document formats are not photographs). */
const RASTER_FORMATS = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'heif', 'avif']);

/** 8-bit RGB pixels of an image file or encoded buffer. */
export async function readImage(input: string | Buffer, opts: ReadImageOptions = {}): Promise<RgbImage> {
  const name = opts.name ?? (typeof input === 'string' ? input : 'image buffer');
  const maxPixels = opts.maxPixels ?? INPUT_LIMITS.maxImagePixels;
  const buf = typeof input === 'string' ? await readFileCapped(input, { name, what: 'image' }) : input;
  if (buf.length === 0) {
    throw new VantageError(
      'image-empty',
      `image "${name}" is empty (0 bytes)`,
      'check that the image was written completely',
    );
  }
  if (isPnm(buf)) {
    const pnm = parsePnm(buf, name);
    checkImageSize(pnm.width, pnm.height, name, maxPixels);
    return rgbFromPnm(pnm);
  }

  let meta: Metadata;
  try {
    meta = await sharp(buf).metadata();
  } catch (e) {
    throw corruptImageError(name, e);
  }
  if (!meta.format || !RASTER_FORMATS.has(meta.format)) {
    throw new VantageError(
      'image-unsupported',
      `image "${name}" is ${meta.format ?? 'an unknown format'}; expected ${SUPPORTED_IMAGE_FORMATS}`,
      'convert it to PNG or JPEG',
    );
  }
  checkImageSize(meta.width ?? 0, meta.height ?? 0, name, maxPixels);

  try {
    const { data, info } = await sharp(buf, { limitInputPixels: Math.max(maxPixels, 1) + 1 })
      .rotate() // apply EXIF orientation, so pixels are as the camera's user saw them
      .flatten({ background: { r: 0, g: 0, b: 0 } })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new VantageError(
        'image-corrupt',
        `image "${name}" decoded to ${info.channels} channels, expected RGB`,
        'convert it to an 8-bit RGB PNG or JPEG',
      );
    }
    const rgb = new Uint8Array(data.buffer, data.byteOffset, data.length);
    const transparent = meta.hasAlpha ? await transparentMask(buf, info.width * info.height) : undefined;
    return { width: info.width, height: info.height, rgb, ...(transparent ? { transparent } : {}) };
  } catch (e) {
    if (e instanceof VantageError) throw e;
    throw corruptImageError(name, e);
  }
}

/** 1 where alpha is 0 (after the same EXIF rotation as the colours), or undefined when none is. */
async function transparentMask(buf: Buffer, n: number): Promise<Uint8Array | undefined> {
  const alpha = await sharp(buf).rotate().ensureAlpha().extractChannel(3).raw({ depth: 'uchar' }).toBuffer();
  if (alpha.length !== n) return undefined;
  const mask = new Uint8Array(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    if (alpha[i] === 0) {
      mask[i] = 1;
      any = true;
    }
  }
  return any ? mask : undefined;
}

function corruptImageError(name: string, cause: unknown): VantageError {
  const why = cause instanceof Error ? cause.message.trim() : String(cause);
  return new VantageError(
    'image-corrupt',
    `image "${name}" cannot be decoded (${why}); it is corrupt, truncated or not an image. Supported: ${SUPPORTED_IMAGE_FORMATS}`,
    'open it in an image viewer to check it, or re-export it as PNG',
    { cause },
  );
}

/** Throws when an image has no pixels or is over the size caps. */
export function checkImageSize(
  width: number,
  height: number,
  name: string,
  maxPixels: number = INPUT_LIMITS.maxImagePixels,
): void {
  if (!(width > 0 && height > 0)) {
    throw new VantageError(
      'image-empty',
      `image "${name}" has no pixels (${width}×${height})`,
      'pass an image with a non-zero size',
    );
  }
  const side = INPUT_LIMITS.maxImageSide;
  if (width * height > maxPixels || width > side || height > side) {
    throw new VantageError(
      'image-too-large',
      `image "${name}" is ${width}×${height} (${pixelCount(width * height)}), over the limit of ` +
        `${pixelCount(maxPixels)} and ${side} px a side`,
      'downscale it first (a few megapixels is plenty for view synthesis)',
    );
  }
}

const pixelCount = (n: number): string => (n >= 100_000 ? `${(n / 1e6).toFixed(1)} Mpx` : `${n} px`);

// ---------------------------------------------------------------------------------------------
// PNM (binary PPM P6 / PGM P5), 8 or 16 bits per sample

export interface Pnm {
  /** 'P5' grey or 'P6' RGB */
  kind: 'P5' | 'P6';
  width: number;
  height: number;
  channels: 1 | 3;
  maxval: number;
  /** 1 when maxval < 256, else 2 (big-endian per the Netpbm spec) */
  bytesPerSample: 1 | 2;
  /** the pixel bytes, exactly width × height × channels × bytesPerSample */
  data: Buffer;
}

/** True when the bytes start like a binary PPM/PGM. */
export function isPnm(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0x50 && (buf[1] === 0x35 || buf[1] === 0x36) && isSpace(buf[2]);
}

const isSpace = (c: number): boolean =>
  c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;

/** Header and pixel bytes of a binary PPM (P6) or PGM (P5). */
export function parsePnm(buf: Buffer, name: string): Pnm {
  const bad = (why: string) =>
    new VantageError('image-corrupt', `PPM/PGM file "${name}" ${why}`, 'check the file, or convert it to PNG');
  if (!isPnm(buf)) throw bad('does not start with "P5" or "P6" (only binary PGM/PPM are read)');
  const kind = buf[1] === 0x35 ? 'P5' : 'P6';
  let pos = 2;
  const fields: number[] = [];
  while (fields.length < 3) {
    while (pos < buf.length && (isSpace(buf[pos]) || buf[pos] === 0x23)) {
      if (buf[pos] === 0x23)
        while (pos < buf.length && buf[pos] !== 0x0a && buf[pos] !== 0x0d) pos++; // # comment
      else pos++;
    }
    const start = pos;
    while (pos < buf.length && buf[pos] >= 0x30 && buf[pos] <= 0x39) pos++;
    if (pos === start) throw bad('has a malformed header (expected width, height and maxval)');
    fields.push(Number(buf.toString('latin1', start, pos)));
  }
  if (pos >= buf.length || !isSpace(buf[pos])) throw bad('has a malformed header (no whitespace after maxval)');
  pos++; // exactly one whitespace byte separates the header from the pixels
  const [width, height, maxval] = fields;
  if (!(maxval >= 1 && maxval <= 65535)) throw bad(`has maxval ${maxval}; expected 1..65535`);
  const channels = kind === 'P5' ? 1 : 3;
  const bytesPerSample = maxval < 256 ? 1 : 2;
  const need = width * height * channels * bytesPerSample;
  if (buf.length - pos < need) {
    throw bad(`is truncated: ${width}×${height} needs ${need} bytes of pixels, the file has ${buf.length - pos}`);
  }
  return { kind, width, height, channels, maxval, bytesPerSample, data: buf.subarray(pos, pos + need) };
}

function rgbFromPnm(p: Pnm): RgbImage {
  const n = p.width * p.height;
  const rgb = new Uint8Array(n * 3);
  if (p.maxval === 255 && p.channels === 3) {
    rgb.set(p.data);
    return { width: p.width, height: p.height, rgb };
  }
  if (p.maxval === 255) {
    for (let i = 0; i < n; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = p.data[i];
    return { width: p.width, height: p.height, rgb };
  }
  const sample =
    p.bytesPerSample === 1 ? (i: number) => p.data[i] : (i: number) => (p.data[2 * i] << 8) | p.data[2 * i + 1];
  const k = 255 / p.maxval;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = sample(p.channels === 1 ? i : i * 3 + c);
      rgb[i * 3 + c] = p.maxval === 255 ? v : Math.min(255, Math.round(v * k));
    }
  }
  return { width: p.width, height: p.height, rgb };
}

// ---------------------------------------------------------------------------------------------
// Writing

/** RGBA (alpha 255) from tightly packed RGB. */
export function rgbaFromRgb(rgb: Uint8Array): Uint8Array {
  if (rgb.length % 3 !== 0) {
    throw new VantageError('bad-pixels', `RGB pixel buffer length ${rgb.length} is not a multiple of 3`);
  }
  const n = rgb.length / 3;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgba[i * 4] = rgb[i * 3];
    rgba[i * 4 + 1] = rgb[i * 3 + 1];
    rgba[i * 4 + 2] = rgb[i * 3 + 2];
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/** PNG bytes of 8-bit pixels (1 = grey, 2 = grey + alpha, 3 = RGB, 4 = RGBA), row-major. */
export async function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4 = 4,
): Promise<Buffer> {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new VantageError('bad-pixels', `cannot encode a PNG of ${width}×${height}: sides must be positive integers`);
  }
  if (![1, 2, 3, 4].includes(channels)) {
    throw new VantageError('bad-pixels', `cannot encode a PNG with ${channels} channels; expected 1, 2, 3 or 4`);
  }
  if (pixels.length !== width * height * channels) {
    throw new VantageError(
      'bad-pixels',
      `pixel buffer has ${pixels.length} bytes but ${width}×${height}×${channels} needs ${width * height * channels}`,
    );
  }
  // A plain Uint8Array view makes sharp read 8-bit samples whatever the caller's subclass.
  const view = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length);
  return sharp(view, { raw: { width, height, channels } }).png().toBuffer();
}

/** Write 8-bit pixels as a PNG file (parent folders are created). */
export async function writePng(
  path: string,
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4 = 4,
): Promise<void> {
  await writeFileChecked(path, await encodePng(pixels, width, height, channels), 'PNG');
}
