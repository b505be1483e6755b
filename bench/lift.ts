/**
 * Lifting speed: a 640×480 RGB-D frame to surfels (target ≤ 50 ms on 2 cores), the whole
 * liftToScene (with floor detection and pivot), and the fixture ray caster that makes test frames.
 * Uses the real Open3D frame 0 from ../shared/data when present, else a fixture frame.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { identity } from '../core/camera.js';
import { liftFrame, liftToScene } from '../synth/lift.js';
import { generateScene } from '../fixtures/scenes.js';
import { fixtureFrame } from '../fixtures/raycast.js';
import { readOpen3dFrame } from '../synth/nvs-eval.js';
import { readTrajectory, relativeToFirst } from '../core/io/trajectory.js';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** ../shared/data beside the checkout (from source or from dist/), or $VANTAGE_SHARED_DATA. */
function sharedDataDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.VANTAGE_SHARED_DATA,
    resolve(here, '..', '..', 'shared', 'data'),
    resolve(here, '..', '..', '..', 'shared', 'data'),
  ];
  return candidates.find((p): p is string => !!p && existsSync(join(p, 'README.md')));
}

/**
 * Wall time of the first call in this process (JIT cold, and on this VM the first writes to fresh
 * pages cost ~15 µs each: ~100 ms for a lift's ~19 MB of output), then the median and minimum of
 * `runs` calls after `warmup` more — the steady state of a process lifting many frames.
 */
function timeMs(fn: () => void, runs: number, warmup = 3): { first: number; median: number; min: number } {
  const t0 = performance.now();
  fn();
  const first = performance.now() - t0;
  for (let i = 0; i < warmup; i++) fn();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return { first, median: ts[ts.length >> 1], min: ts[0] };
}

export async function benchLift(): Promise<BenchFigure[]> {
  const data = sharedDataDir();
  const frame = data
    ? await readOpen3dFrame(join(data, 'rgbd', 'open3d'), 0, identity())
    : fixtureFrame(generateScene('room', { width: 640, height: 480 }));
  const what = data ? 'open3d frame 0' : "fixture 'room' (../shared/data absent)";
  let count = 0;
  const lift = timeMs(() => {
    count = liftFrame(frame).count;
  }, 15);
  const scene = timeMs(() => {
    liftToScene([frame]);
  }, 9);
  const fused: BenchFigure[] = [];
  if (data) {
    // Four frames with their poses: what merging costs over concatenating (synth/fuse.ts).
    const dir = join(data, 'rgbd', 'open3d');
    const poses = relativeToFirst(await readTrajectory(join(dir, 'trajectory.log')));
    const frames = await Promise.all([0, 1, 2, 3].map((i) => readOpen3dFrame(dir, i, poses[i])));
    for (const fusion of ['stack', 'merge'] as const) {
      const t = timeMs(() => liftToScene(frames, { fusion, depth: 'measured' }), 3, 1);
      fused.push({
        name: `liftToScene, 4 Open3D frames, fusion ${fusion}`,
        value: Number(t.median.toFixed(1)),
        unit: 'ms',
        note: `median of 3 after 1 warm-up call, min ${t.min.toFixed(1)} ms`,
      });
    }
  }
  const fixture = generateScene('room');
  const ray = timeMs(() => {
    fixtureFrame(fixture);
  }, 5);
  // Other work on the machine inflates the median; the minimum and the load say how much.
  const load = `load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`;
  const r1 = (x: number) => Number(x.toFixed(1));
  return [
    {
      name: 'lift 640×480 frame to surfels (steady state)',
      value: r1(lift.median),
      unit: 'ms',
      note: `${what}, ${count} Gaussians; median of 15 after 3 warm-up calls, min ${r1(lift.min)} ms; ${load}`,
    },
    {
      name: 'lift 640×480, first call in a fresh process',
      value: r1(lift.first),
      unit: 'ms',
      note: 'JIT cold and fresh memory pages (what a one-frame CLI run pays)',
    },
    {
      name: 'liftToScene 640×480 (lift + floor RANSAC + pivot)',
      value: r1(scene.median),
      unit: 'ms',
      note: `${what}; median of 9 after 3 warm-up calls, min ${r1(scene.min)} ms`,
    },
    {
      name: 'fixture ray-cast 512×384',
      value: r1(ray.median),
      unit: 'ms',
      note: `fixture 'room', ${fixture.objects.length} objects; median of 5, min ${r1(ray.min)} ms`,
    },
    ...fused,
  ];
}
