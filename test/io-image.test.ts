import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileCapped } from '../core/io/files.js';
import { encodePng, readImage, rgbaFromRgb, writePng } from '../core/io/image.js';
import { describeShared, sharedPath } from './support/shared-data.js';
import { expectVantage } from './support/expect-vantage.js';

const dir = mkdtempSync(join(tmpdir(), 'vantage-io-image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pixel = (img: { width: number; rgb: Uint8Array }, u: number, v: number) =>
  Array.from(img.rgb.subarray((v * img.width + u) * 3, (v * img.width + u) * 3 + 3));

describe('readImage: formats', () => {
  it('reads a PNG back exactly (RGB)', async () => {
    const rgb = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
    const img = await readImage(await encodePng(rgb, 4, 3, 3));
    expect([img.width, img.height]).toEqual([4, 3]);
    expect(Array.from(img.rgb)).toEqual(Array.from(rgb));
  });

  it('composites alpha on black', async () => {
    const rgba = Uint8Array.from([200, 100, 50, 0, 200, 100, 50, 255, 200, 100, 50, 128]);
    const img = await readImage(await encodePng(rgba, 3, 1, 4));
    expect(pixel(img, 0, 0)).toEqual([0, 0, 0]);
    expect(pixel(img, 1, 0)).toEqual([200, 100, 50]);
    const half = pixel(img, 2, 0);
    expect(half[0]).toBeGreaterThanOrEqual(99);
    expect(half[0]).toBeLessThanOrEqual(101);
  });

  it('turns grey into RGB', async () => {
    const img = await readImage(await encodePng(Uint8Array.from([0, 77, 255]), 3, 1, 1));
    expect(Array.from(img.rgb)).toEqual([0, 0, 0, 77, 77, 77, 255, 255, 255]);
  });

  it('scales 16-bit colour and grey PNGs to 8 bits', async () => {
    const rgb16 = await sharp(Uint16Array.from([65535, 32896, 0, 257 * 10, 257 * 200, 0]), {
      raw: { width: 2, height: 1, channels: 3 },
    })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect(Array.from((await readImage(rgb16)).rgb)).toEqual([255, 128, 0, 10, 200, 0]);
    const g16 = await sharp(Uint16Array.from([65535, 2570]), { raw: { width: 2, height: 1, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    expect(Array.from((await readImage(g16)).rgb)).toEqual([255, 255, 255, 10, 10, 10]);
  });

  it('reads lossless WebP exactly', async () => {
    const rgb = Uint8Array.from({ length: 5 * 2 * 3 }, (_, i) => (i * 53) % 256);
    const webp = await sharp(rgb, { raw: { width: 5, height: 2, channels: 3 } })
      .webp({ lossless: true })
      .toBuffer();
    const img = await readImage(webp, { name: 'x.webp' });
    expect(Array.from(img.rgb)).toEqual(Array.from(rgb));
  });

  it('applies the EXIF orientation (6 = rotate 90° clockwise)', async () => {
    // 16×8: left half red, right half blue, tagged "rotate 90° CW to display"
    const rgb = new Uint8Array(16 * 8 * 3);
    for (let v = 0; v < 8; v++)
      for (let u = 0; u < 16; u++) rgb.set(u < 8 ? [255, 0, 0] : [0, 0, 255], (v * 16 + u) * 3);
    const jpg = await sharp(rgb, { raw: { width: 16, height: 8, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await readImage(jpg, { name: 'rotated.jpg' });
    expect([img.width, img.height]).toEqual([8, 16]);
    const top = pixel(img, 4, 3);
    const bottom = pixel(img, 4, 12);
    expect(top[0]).toBeGreaterThan(200); // the left (red) half is now on top
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(60);
  });

  it('reads binary PPM (P6) and PGM (P5), 8- and 16-bit', async () => {
    const p6 = Buffer.concat([Buffer.from('P6\n# a comment\n2 1\n255\n'), Buffer.from([1, 2, 3, 250, 251, 252])]);
    expect(Array.from((await readImage(p6)).rgb)).toEqual([1, 2, 3, 250, 251, 252]);
    const p5 = Buffer.concat([Buffer.from('P5 3 1 255\n'), Buffer.from([0, 128, 255])]);
    expect(Array.from((await readImage(p5)).rgb)).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255]);
    const p5x16 = Buffer.concat([Buffer.from('P5 2 1 65535\n'), Buffer.from([0xff, 0xff, 0x80, 0x00])]);
    expect(Array.from((await readImage(p5x16)).rgb)).toEqual([255, 255, 255, 128, 128, 128]);
  });

  it('writes a PNG file and reads it back; rgbaFromRgb adds opaque alpha', async () => {
    const rgb = Uint8Array.from([10, 20, 30, 40, 50, 60]);
    const rgba = rgbaFromRgb(rgb);
    expect(Array.from(rgba)).toEqual([10, 20, 30, 255, 40, 50, 60, 255]);
    const path = join(dir, 'sub', 'folder', 'out.png'); // parent folders are created
    await writePng(path, rgba, 2, 1, 4);
    expect(Array.from((await readImage(path)).rgb)).toEqual(Array.from(rgb));
  });

  it('refuses a pixel buffer of the wrong length', async () => {
    await expectVantage(encodePng(new Uint8Array(5), 2, 1, 3), 'bad-pixels', /5 bytes/, /2×1×3/);
  });
});

describeShared('readImage: real files in ../shared/data', () => {
  it.each([
    ['rgbd/open3d/color/00000.jpg'],
    ['rgbd/open3d/other_formats/TUM_color.png'],
    ['rgbd/open3d/other_formats/SUN_color.jpg'],
    ['rgbd/open3d/other_formats/NYU_color.ppm'],
  ])('%s is 640×480 RGB with real content', async (rel) => {
    const img = await readImage(sharedPath(rel));
    expect([img.width, img.height, img.rgb.length]).toEqual([640, 480, 640 * 480 * 3]);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < img.rgb.length; i += 7) {
      sum += img.rgb[i];
      sq += img.rgb[i] * img.rgb[i];
    }
    const n = Math.ceil(img.rgb.length / 7);
    const sd = Math.sqrt(sq / n - (sum / n) ** 2);
    expect(sd).toBeGreaterThan(10); // a photo, not a flat or black frame
  });

  it('a truncated JPEG is an error naming the file and the supported formats', async () => {
    const path = join(dir, 'truncated.jpg');
    const full = readFileSync(sharedPath('rgbd/open3d/color/00000.jpg'));
    writeFileSync(path, full.subarray(0, Math.floor(full.length / 2)));
    await expectVantage(readImage(path), 'image-corrupt', 'truncated.jpg', /truncated/, /PNG, JPEG, WebP/);
  });

  it('an image over the size cap is refused before decoding', async () => {
    await expectVantage(
      readImage(sharedPath('rgbd/open3d/color/00000.jpg'), { maxPixels: 100_000 }),
      'image-too-large',
      '00000.jpg',
      '640×480',
      /0\.3 Mpx\), over the limit of 0\.1 Mpx/,
    );
  });
});

describe('readImage: bad input', () => {
  it('a missing file', async () => {
    await expectVantage(readImage(join(dir, 'nope.png')), 'file-not-found', 'nope.png', /not found/);
  });

  it('a directory', async () => {
    mkdirSync(join(dir, 'adir.png'), { recursive: true });
    await expectVantage(readImage(join(dir, 'adir.png')), 'not-a-file', 'adir.png', /directory/);
  });

  it('an empty file', async () => {
    writeFileSync(join(dir, 'empty.png'), '');
    await expectVantage(readImage(join(dir, 'empty.png')), 'file-empty', 'empty.png', /empty/);
    await expectVantage(readImage(Buffer.alloc(0), { name: 'buf.png' }), 'image-empty', 'buf.png');
  });

  it('a corrupt PNG (damaged body)', async () => {
    const png = await encodePng(
      Uint8Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7) % 256),
      64,
      64,
      3,
    );
    const bad = Buffer.from(png);
    for (let i = 60; i < bad.length - 12; i++) bad[i] ^= 0x5a;
    const path = join(dir, 'corrupt.png');
    writeFileSync(path, bad);
    await expectVantage(
      readImage(path),
      'image-corrupt',
      'corrupt.png',
      /cannot be decoded/,
      /Supported: PNG, JPEG, WebP/,
    );
  });

  it('a text file posing as an image', async () => {
    const path = join(dir, 'notes.jpg');
    writeFileSync(path, 'this is not an image at all');
    await expectVantage(readImage(path), 'image-corrupt', 'notes.jpg', /PNG, JPEG/);
  });

  it('a truncated PPM', async () => {
    const p6 = Buffer.concat([Buffer.from('P6 4 4 255\n'), Buffer.alloc(10)]);
    await expectVantage(readImage(p6, { name: 'cut.ppm' }), 'image-corrupt', 'cut.ppm', /truncated/, /48 bytes/);
  });

  it('a file over the byte cap (shared helper)', async () => {
    const path = join(dir, 'big.bin');
    writeFileSync(path, Buffer.alloc(2048));
    await expectVantage(
      readFileCapped(path, { what: 'thing', maxBytes: 1024 }),
      'file-too-large',
      'thing',
      'big.bin',
      /2\.0 KB/,
      /1\.0 KB/,
    );
  });
});
