/**
 * Classical registration on real frames: the five Open3D living-room frames (color + depth,
 * intrinsics 525, 525, 319.5, 239.5) with the trajectory withheld, compared with trajectory.log
 * relative to frame 0. Bad input: a frame with no texture, a photo of something else.
 */
import { expect, it } from 'vitest';
import { describeShared, sharedPath } from './support/shared-data.js';
import { identity } from '../core/camera.js';
import { readTrajectory, relativeToFirst } from '../core/io/trajectory.js';
import { readOpen3dFrame } from '../synth/nvs-eval.js';
import { registerPhotos } from '../synth/register/index.js';
import { mul3, poseParts, rotationAngleDeg, transpose3 } from '../synth/register/linalg.js';
import type { RegisterPhoto } from '../synth/register/types.js';

const open3d = () => sharedPath('rgbd', 'open3d');

async function photos(withDepth: boolean): Promise<RegisterPhoto[]> {
  const frames = await Promise.all([0, 1, 2, 3, 4].map((i) => readOpen3dFrame(open3d(), i, identity())));
  return frames.map((f, i) => ({
    name: `frame ${i}`,
    width: f.width,
    height: f.height,
    rgb: f.rgb,
    ...(withDepth ? { depth: f.depth, depthUnits: 'metres' as const } : {}),
    intrinsics: f.intrinsics,
  }));
}

function errors(c2w: Float64Array, truth: Float64Array) {
  const a = poseParts(c2w);
  const b = poseParts(truth);
  const na = Math.hypot(...a.t);
  const nb = Math.hypot(...b.t);
  return {
    rotDeg: rotationAngleDeg(mul3(transpose3(a.r), b.r)),
    transM: Math.hypot(a.t[0] - b.t[0], a.t[1] - b.t[1], a.t[2] - b.t[2]),
    dirDeg:
      na && nb
        ? (Math.acos(Math.min(1, (a.t[0] * b.t[0] + a.t[1] * b.t[1] + a.t[2] * b.t[2]) / na / nb)) * 180) / Math.PI
        : 0,
  };
}

describeShared('registration on the Open3D frames (trajectory withheld)', () => {
  it('with depth: every frame within 1° and 3 cm of the trajectory', async () => {
    const truth = relativeToFirst(await readTrajectory(sharedPath('rgbd', 'open3d', 'trajectory.log')));
    const reg = await registerPhotos(await photos(true), { method: 'features' });
    expect(reg.method).toBe('features');
    expect(reg.scaled).toBe(true);
    for (let i = 1; i < 5; i++) {
      const p = reg.photos[i];
      expect(p.registered, p.note).toBe(true);
      expect(p.inliers).toBeGreaterThan(100);
      expect(p.residualUnit).toBe('m');
      const e = errors(p.c2w!, truth[i]);
      expect(e.rotDeg).toBeLessThan(1);
      expect(e.transM).toBeLessThan(0.03);
    }
  }, 120_000);

  it('RGB only: rotations within 3°, translations unit directions', async () => {
    const truth = relativeToFirst(await readTrajectory(sharedPath('rgbd', 'open3d', 'trajectory.log')));
    const reg = await registerPhotos(await photos(false), { method: 'features' });
    expect(reg.scaled).toBe(false);
    for (let i = 1; i < 5; i++) {
      const p = reg.photos[i];
      expect(p.registered, p.note).toBe(true);
      expect(p.residualUnit).toBe('px');
      expect(errors(p.c2w!, truth[i]).rotDeg).toBeLessThan(3);
    }
  }, 120_000);

  it('a flat-colour photo and a photo of something else are reported, not posed', async () => {
    const [f0, f1] = await photos(true);
    const flat: RegisterPhoto = { ...f1, name: 'flat', rgb: new Uint8Array(f1.rgb.length).fill(128) };
    // the same room upside down and colour-inverted: nothing matches the geometry
    const other: RegisterPhoto = {
      ...f1,
      name: 'other',
      rgb: Uint8Array.from(f1.rgb, (_, i) => {
        const px = Math.floor(i / 3);
        const j = (f1.width * f1.height - 1 - px) * 3 + (i % 3);
        return f1.rgb[(j * 7919) % f1.rgb.length];
      }),
    };
    const reg = await registerPhotos([f0, f1, flat, other], { method: 'features' });
    expect(reg.photos[1].registered).toBe(true);
    expect(reg.photos[2].registered).toBe(false);
    expect(reg.photos[2].note).toMatch(/keypoints|texture/);
    expect(reg.photos[2].c2w).toBeUndefined();
    expect(reg.photos[3].registered).toBe(false);
    expect(reg.photos[3].note).toMatch(/not registered/);
    await expect(registerPhotos([f0, flat], { method: 'features' })).rejects.toThrow(/none of the 1 other photo/);
  }, 120_000);

  it('identical photos register at the identity; depth of the wrong size is a clear error', async () => {
    const [f0] = await photos(true);
    const reg = await registerPhotos([f0, { ...f0, name: 'copy' }], { method: 'features' });
    const e = errors(reg.photos[1].c2w!, identity());
    expect(e.rotDeg).toBeLessThan(0.05);
    expect(e.transM).toBeLessThan(0.002);
    await expect(
      registerPhotos([f0, { ...f0, name: 'bad', depth: new Float32Array(10) }], { method: 'features' }),
    ).rejects.toThrow(/depth has 10 values but the photo is 640×480/);
    await expect(registerPhotos([f0, f0], { method: 'nope' })).rejects.toThrow(/unknown registration method/);
  }, 120_000);
});
