/** A procedural fixture's reference view written as an RGB-D file pair (PNG + 16-bit PNG in mm), for input tests. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { fixtureFrame } from '../../fixtures/raycast.js';
import { generateScene } from '../../fixtures/scenes.js';
import { encodePng, rgbaFromRgb } from '../../core/io/image.js';

/** 16-bit greyscale PNG of depth in millimetres (0 = no depth). */
export async function depthPngMm(depth: Float32Array, width: number, height: number): Promise<Buffer> {
  const mm = new Uint16Array(width * height);
  for (let i = 0; i < mm.length; i++)
    mm[i] = Number.isFinite(depth[i]) && depth[i] > 0 ? Math.min(65535, Math.round(depth[i] * 1000)) : 0;
  return sharp(Buffer.from(mm.buffer), { raw: { width, height, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toBuffer();
}

export interface RgbdPair {
  rgb: Buffer;
  depth: Buffer;
  rgbPath: string;
  depthPath: string;
}

/** Write `<name>.png` and `<name>-depth.png` of a fixture's reference view into dir. */
export async function writeRgbdPair(
  dir: string,
  fixture = 'tabletop',
  width = 160,
  height = 120,
  name = 'photo',
): Promise<RgbdPair> {
  const frame = fixtureFrame(generateScene(fixture), width, height);
  const rgb = await encodePng(rgbaFromRgb(frame.rgb), width, height, 4);
  const depth = await depthPngMm(frame.depth, width, height);
  const rgbPath = join(dir, `${name}.png`);
  const depthPath = join(dir, `${name}-depth.png`);
  await writeFile(rgbPath, rgb);
  await writeFile(depthPath, depth);
  return { rgb, depth, rgbPath, depthPath };
}
