/** A cut-out (RGBA with transparent pixels) lifts only where it is opaque: alpha 0 is no surface. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import { encodeNpy } from '../core/io/depth.js';
import { readImage } from '../core/io/image.js';
import { loadImageScene } from '../synth/scene-source.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

it('transparent pixels of an RGBA image get no depth, and the trace says how many', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vantage-alpha-'));
  dirs.push(dir);
  const [w, h] = [32, 24];
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    rgba.set([200, 100, 50], i * 4);
    rgba[i * 4 + 3] = i % w < w / 2 ? 255 : 0; // the right half is cut away
  }
  await sharp(rgba, { raw: { width: w, height: h, channels: 4 } })
    .png()
    .toFile(join(dir, 'cutout.png'));
  await writeFile(join(dir, 'd.npy'), encodeNpy(new Float32Array(w * h).fill(2), w, h));

  const img = await readImage(join(dir, 'cutout.png'));
  expect(img.transparent?.reduce((a, b) => a + b, 0)).toBe((w * h) / 2);

  const loaded = await loadImageScene({ images: [join(dir, 'cutout.png')], depths: [join(dir, 'd.npy')] });
  const depth = loaded.originals[0].depth!;
  expect(depth[0]).toBeCloseTo(2, 6);
  expect(depth[w - 1]).toBe(0);
  expect(loaded.info.notes.join('\n')).toMatch(
    new RegExp(`${(w * h) / 2} transparent pixels \\(alpha 0\\) taken as no depth`),
  );
  // before, the transparent half was lifted as black surface: now only the opaque half is there
  expect(loaded.scene.count).toBeLessThanOrEqual((w * h) / 2);

  // an opaque image has no mask
  await sharp({ create: { width: w, height: h, channels: 3, background: { r: 1, g: 2, b: 3 } } })
    .png()
    .toFile(join(dir, 'opaque.png'));
  expect((await readImage(join(dir, 'opaque.png'))).transparent).toBeUndefined();
});
