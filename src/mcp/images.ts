/**
 * Images in tool results, sized for the host: a PNG that fits the byte budget goes as it is; one
 * that does not (or a caller asking for JPEG/WebP) is re-encoded, with lower quality and then a
 * smaller size until it fits. Hosts reject large results (Claude Desktop: 1 MiB, and base64 adds a
 * third), so what was sent is recorded beside the image.
 */
import sharp from 'sharp';

export type ResultImageFormat = 'png' | 'jpeg' | 'webp';

export interface FittedImage {
  data: Buffer;
  mimeType: string;
  /** what was sent, for the result's JSON */
  sent: { format: ResultImageFormat; width: number; height: number; bytes: number; note?: string };
}

const QUALITIES = [85, 70, 55, 40];
const MIN_SIDE = 64;

/** The PNG as an image of at most maxBytes, in the asked format (PNG falls back to JPEG when too big). */
export async function fitImage(png: Buffer, format: ResultImageFormat, maxBytes: number): Promise<FittedImage> {
  const meta = await sharp(png).metadata();
  const width0 = meta.width ?? 0;
  const height0 = meta.height ?? 0;
  if (format === 'png' && png.length <= maxBytes) {
    return {
      data: png,
      mimeType: 'image/png',
      sent: { format, width: width0, height: height0, bytes: png.length },
    };
  }
  const lossy: Exclude<ResultImageFormat, 'png'> = format === 'webp' ? 'webp' : 'jpeg';
  let scale = 1;
  let last: Buffer = png;
  let w: number;
  let h: number;
  for (;;) {
    w = Math.max(1, Math.round(width0 * scale));
    h = Math.max(1, Math.round(height0 * scale));
    for (const quality of QUALITIES) {
      const img = sharp(png).resize(w, h, { kernel: 'lanczos3' });
      last = await (lossy === 'webp' ? img.webp({ quality }) : img.jpeg({ quality, mozjpeg: true })).toBuffer();
      if (last.length <= maxBytes) {
        const changed = [
          format === 'png' ? `PNG of ${png.length} bytes was over the ${maxBytes}-byte limit: sent as ${lossy}` : '',
          scale < 1 ? `scaled to ${w}×${h}` : '',
        ].filter(Boolean);
        return {
          data: last,
          mimeType: `image/${lossy}`,
          sent: {
            format: lossy,
            width: w,
            height: h,
            bytes: last.length,
            ...(changed.length ? { note: `${changed.join(', ')} (quality ${quality})` } : {}),
          },
        };
      }
    }
    if (Math.min(w, h) <= MIN_SIDE) break;
    scale *= 0.7;
  }
  // even the smallest did not fit: send it anyway, saying so (a tiny limit is the caller's choice)
  return {
    data: last,
    mimeType: `image/${lossy}`,
    sent: {
      format: lossy,
      width: w,
      height: h,
      bytes: last.length,
      note: `over the ${maxBytes}-byte limit even at ${w}×${h}`,
    },
  };
}
