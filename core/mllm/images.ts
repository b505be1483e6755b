/**
 * Images for the MLLM: encoded pictures (PNG/JPEG/WebP) or raw RGBA pixels, downscaled with sharp
 * so that the longest side is at most `maxSide`, sent as base64 data URLs. Images that already fit
 * and are PNG or JPEG go as they are (no re-encoding, no quality loss).
 */
import sharp, { type Metadata } from 'sharp';
import { VantageError } from '../errors.js';

export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, row-major, sRGB */
  rgba: Uint8Array;
}

export interface DataUrlImage {
  url: string;
  width: number;
  height: number;
  mime: 'image/png' | 'image/jpeg';
  bytes: number;
}

/** PNG bytes of raw RGBA pixels (a rendered view, for instance). */
export async function pngFromRgba(image: RgbaImage): Promise<Buffer> {
  const { width, height, rgba } = image;
  if (rgba.length !== width * height * 4) {
    throw new VantageError(
      'image-invalid',
      `RGBA image has ${rgba.length} bytes, expected ${width}×${height}×4 = ${width * height * 4}.`,
    );
  }
  return sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

/** A base64 data URL of the image, its longest side at most `maxSide` pixels (never enlarged). */
export async function imageDataUrl(image: Buffer | RgbaImage, maxSide: number): Promise<DataUrlImage> {
  if (!Number.isInteger(maxSide) || maxSide < 1) {
    throw new VantageError('mllm-config', `maxImageSide must be a whole number ≥ 1, got ${maxSide}.`);
  }
  const input = Buffer.isBuffer(image) ? image : await pngFromRgba(image);
  const png = wholePngSize(input);
  if (png && Math.max(png.width, png.height) <= maxSide) {
    // the common case (a rendered view, a small original): no decoder round trip
    return { url: `data:image/png;base64,${input.toString('base64')}`, ...png, mime: 'image/png', bytes: input.length };
  }
  let meta: Metadata;
  try {
    meta = await sharp(input).metadata();
  } catch (e) {
    throw new VantageError(
      'image-invalid',
      `An image for the MLLM could not be decoded (${(e as Error).message}).`,
      'Pass PNG or JPEG bytes, or raw RGBA pixels.',
      { cause: e },
    );
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const fits = Math.max(width, height) <= maxSide;
  if (fits && (meta.format === 'png' || meta.format === 'jpeg')) {
    const mime = meta.format === 'png' ? 'image/png' : 'image/jpeg';
    return { url: `data:${mime};base64,${input.toString('base64')}`, width, height, mime, bytes: input.length };
  }
  const { data, info } = await sharp(input)
    .rotate() // honour EXIF orientation before measuring sides
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .png()
    .toBuffer({ resolveWithObject: true });
  return {
    url: `data:image/png;base64,${data.toString('base64')}`,
    width: info.width,
    height: info.height,
    mime: 'image/png',
    bytes: data.length,
  };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_IEND = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/**
 * Width and height of a PNG that starts with a well-formed IHDR and ends with IEND (so it was
 * not cut short), read from the header alone; undefined for anything else (sharp decides then).
 */
function wholePngSize(b: Buffer): { width: number; height: number } | undefined {
  if (b.length < 8 + 25 + 12 || !b.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  if (b.readUInt32BE(8) !== 13 || b.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  if (!b.subarray(b.length - 12).equals(PNG_IEND)) return undefined;
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** The bytes of a base64 data URL (`data:image/png;base64,...`), or undefined if it is not one. */
export function bytesFromDataUrl(url: string): { mime: string; data: Buffer } | undefined {
  const m = /^data:([^;,]+)(;base64)?,(.*)$/s.exec(url);
  if (!m) return undefined;
  const data = m[2] ? Buffer.from(m[3], 'base64') : Buffer.from(decodeURIComponent(m[3]), 'latin1');
  return { mime: m[1], data };
}
