/**
 * Lifting speed: a 640×480 RGB-D frame to surfels (target ≤ 50 ms on 2 cores), the whole
 * liftToScene (with floor detection and pivot), and the fixture ray caster that makes test frames.
 * Uses the real Open3D frame 0 from ../shared/data when present, else a fixture frame.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { RgbdFrame } from '../src/types.js';
import { identity } from '../src/camera.js';
import { liftFrame, liftToScene } from '../synth/lift.js';
import { generateScene } from '../fixtures/scenes.js';
import { fixtureFrame } from '../fixtures/raycast.js';

export interface BenchFigure { name: string; value: number; unit: string; note?: string }

/** ../shared/data beside the checkout (from source or from dist/), or $VANTAGE_SHARED_DATA. */
export function sharedDataDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [process.env.VANTAGE_SHARED_DATA, resolve(here, '..', '..', 'shared', 'data'), resolve(here, '..', '..', '..', 'shared', 'data')];
  return candidates.find((p): p is string => !!p && existsSync(join(p, 'README.md')));
}

/** Camera-to-world poses of a Redwood / Open3D trajectory.log (a header line, then four rows, per frame). */
export function readTrajectory(path: string): Float64Array[] {
  const lines = readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const poses: Float64Array[] = [];
  for (let i = 0; i + 4 < lines.length; i += 5) {
    const rows = lines.slice(i + 1, i + 5).map((l) => l.split(/\s+/).map(Number));
    const m = new Float64Array(16);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) m[c * 4 + r] = rows[r][c]; // row-major text → column-major
    poses.push(m);
  }
  return poses;
}

/**
 * Frame `index` of rgbd/open3d (Augmented ICL-NUIM, 640×480, depth uint16 mm, fx = fy = 525,
 * cx = 319.5, cy = 239.5) read with sharp; c2w defaults to identity (the frame is its own reference).
 */
export async function readOpen3dFrame(dataDir: string, index: number, c2w: Float64Array = identity()): Promise<RgbdFrame> {
  const dir = join(dataDir, 'rgbd', 'open3d');
  const name = String(index).padStart(5, '0');
  // grey16 keeps the 16-bit values as they are (without it sharp converts to 8-bit sRGB first)
  const d = await sharp(join(dir, 'depth', `${name}.png`)).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const { width, height, channels } = d.info;
  const mm = new Uint16Array(d.data.buffer, d.data.byteOffset, width * height * channels);
  const depth = new Float32Array(width * height);
  for (let i = 0; i < depth.length; i++) depth[i] = mm[i * channels] / 1000;
  const c = await sharp(join(dir, 'color', `${name}.jpg`)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (c.info.width !== width || c.info.height !== height || c.info.channels !== 3) {
    throw new Error(`open3d frame ${index}: colour ${c.info.width}×${c.info.height}×${c.info.channels} does not match depth ${width}×${height}`);
  }
  return {
    width, height, rgb: new Uint8Array(c.data.buffer, c.data.byteOffset, width * height * 3), depth,
    intrinsics: { fx: 525, fy: 525, cx: 319.5, cy: 239.5, width, height }, c2w, units: 'metres', source: `open3d frame ${index}`,
  };
}

/** Median and minimum wall time of `runs` calls, after a warm-up call that lets the JIT compile. */
function timeMs(fn: () => void, runs: number): { median: number; min: number } {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[ts.length >> 1], min: ts[0] };
}

export async function benchLift(): Promise<BenchFigure[]> {
  const data = sharedDataDir();
  const frame = data ? await readOpen3dFrame(data, 0) : fixtureFrame(generateScene('room', { width: 640, height: 480 }));
  const what = data ? 'open3d frame 0' : "fixture 'room' (../shared/data absent)";
  let count = 0;
  const lift = timeMs(() => { count = liftFrame(frame).count; }, 9);
  const scene = timeMs(() => { liftToScene([frame]); }, 5);
  const fixture = generateScene('room');
  const ray = timeMs(() => { fixtureFrame(fixture); }, 5);
  // Other work on the machine inflates the median; the minimum and the load say how much.
  const load = `load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`;
  const r1 = (x: number) => Number(x.toFixed(1));
  return [
    { name: 'lift 640×480 frame to surfels', value: r1(lift.median), unit: 'ms', note: `${what}, ${count} Gaussians; median of 9, min ${r1(lift.min)} ms; ${load}` },
    { name: 'liftToScene 640×480 (lift + floor RANSAC + pivot)', value: r1(scene.median), unit: 'ms', note: `${what}; median of 5, min ${r1(scene.min)} ms` },
    { name: 'fixture ray-cast 512×384', value: r1(ray.median), unit: 'ms', note: `fixture 'room', ${fixture.objects.length} objects; median of 5, min ${r1(ray.min)} ms` },
  ];
}
