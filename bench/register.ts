/**
 * Registration figures (issue 9): the five Open3D frames with the trajectory withheld — pose errors
 * against trajectory.log (relative to frame 0) with depth and RGB only, and the time to register them
 * (OpenCV started beforehand; its start-up is its own figure) — and procedural scenes photographed
 * from K = 2…4 positions around them, exact depth: pose errors and how many photos registered.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { identity, invertPose, multiply } from '../core/camera.js';
import { readTrajectory, relativeToFirst } from '../core/io/trajectory.js';
import { readOpen3dFrame } from '../synth/nvs-eval.js';
import { openCv } from '../synth/register/features.js';
import { registerPhotos } from '../synth/register/index.js';
import { mul3, poseParts, rotationAngleDeg, transpose3 } from '../synth/register/linalg.js';
import type { RegisterPhoto } from '../synth/register/types.js';
import { generateScene } from '../fixtures/scenes.js';
import { fixtureFrame } from '../fixtures/raycast.js';
import { multiviewFramesOf, textureCellOf, textureFrame } from '../fixtures/multiview.js';
import type { BenchFigure } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));

function sharedData(): string | undefined {
  const candidates = [
    process.env.VANTAGE_SHARED_DATA,
    resolve(here, '..', '..', 'shared', 'data'),
    resolve(here, '..', '..', '..', 'shared', 'data'),
  ];
  return candidates.find((p): p is string => !!p && existsSync(join(p, 'README.md')));
}

function poseError(c2w: ArrayLike<number>, truth: ArrayLike<number>): { rotDeg: number; transM: number } {
  const a = poseParts(c2w);
  const b = poseParts(truth);
  return {
    rotDeg: rotationAngleDeg(mul3(transpose3(a.r), b.r)),
    transM: Math.hypot(a.t[0] - b.t[0], a.t[1] - b.t[1], a.t[2] - b.t[2]),
  };
}

export async function benchRegister(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const t0 = performance.now();
  await openCv();
  figures.push({ name: 'OpenCV.js start-up (once per process)', value: performance.now() - t0, unit: 'ms' });

  const data = sharedData();
  if (data) {
    const dir = join(data, 'rgbd', 'open3d');
    const truth = relativeToFirst(await readTrajectory(join(dir, 'trajectory.log')));
    const frames = await Promise.all([0, 1, 2, 3, 4].map((i) => readOpen3dFrame(dir, i, identity())));
    for (const withDepth of [true, false]) {
      const photos: RegisterPhoto[] = frames.map((f, i) => ({
        name: `frame ${i}`,
        width: f.width,
        height: f.height,
        rgb: f.rgb,
        intrinsics: f.intrinsics,
        ...(withDepth ? { depth: f.depth, depthUnits: 'metres' as const } : {}),
      }));
      const times: number[] = [];
      let reg = await registerPhotos(photos, { method: 'features' });
      for (let run = 0; run < 3; run++) {
        const s = performance.now();
        reg = await registerPhotos(photos, { method: 'features' });
        times.push(performance.now() - s);
      }
      times.sort((a, b) => a - b);
      const errs = reg.photos.slice(1).map((p, i) => (p.c2w ? poseError(p.c2w, truth[i + 1]) : undefined));
      const label = withDepth ? 'RGB-D' : 'RGB only';
      figures.push({
        name: `Open3D 5 frames ${label}: registered`,
        value: reg.photos.filter((p) => p.registered).length,
        unit: 'of 5',
      });
      figures.push({
        name: `Open3D 5 frames ${label}: worst rotation error vs trajectory.log`,
        value: Math.max(...errs.map((e) => e?.rotDeg ?? Infinity)),
        unit: '°',
        note: withDepth ? 'goal ≤ 1°' : 'goal ≤ 3°',
      });
      if (withDepth)
        figures.push({
          name: 'Open3D 5 frames RGB-D: worst translation error',
          value: Math.max(...errs.map((e) => (e?.transM ?? Infinity) * 100)),
          unit: 'cm',
          note: 'goal ≤ 3 cm',
        });
      figures.push({
        name: `Open3D 5 frames ${label}: registration time (640×480)`,
        value: times[1],
        unit: 'ms',
        note: 'median of 3, OpenCV already started; goal ≤ 2 s for RGB-D',
      });
    }
  }

  for (const kind of ['tabletop', 'room'] as const) {
    for (const k of [2, 3, 4]) {
      const fixture = generateScene(kind);
      const ref = textureFrame(fixtureFrame(fixture, 512, 384), textureCellOf(fixture));
      const views = multiviewFramesOf(fixture, ref, k, 'around');
      const reg = await registerPhotos(
        [ref, ...views].map((f, i) => ({ ...f, name: `view ${i + 1}`, depthUnits: 'metres' as const })),
        { method: 'features', requireAny: false },
      );
      const toRef = invertPose(ref.c2w);
      const errs = reg.photos
        .slice(1)
        .map((p, i) => (p.c2w ? poseError(p.c2w, multiply(toRef, views[i].c2w)) : undefined))
        .filter((e): e is { rotDeg: number; transM: number } => !!e);
      figures.push({
        name: `procedural ${kind}, ${k} photos around (exact depth): registered`,
        value: reg.photos.filter((p) => p.registered).length,
        unit: `of ${k}`,
        note: errs.length
          ? `worst ${Math.max(...errs.map((e) => e.rotDeg)).toFixed(2)}°, ${(Math.max(...errs.map((e) => e.transM)) * 100).toFixed(1)} cm`
          : 'none registered',
      });
    }
  }
  return figures;
}
