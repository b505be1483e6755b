/**
 * Renderer speed: ms per frame for random splat clouds (sort and readback included, PNG encoding
 * excluded), the median of a few frames after a warm-up frame that compiles shaders and uploads
 * the scene. Process CPU time per frame goes in the note: on a shared CPU-only machine (lavapipe)
 * it is the steadier figure, and wall ≈ CPU / cores when the machine is otherwise idle.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Camera, RenderMode, Renderer, Scene } from '../core/types.js';
import { identity, intrinsicsFromHfov } from '../core/camera.js';
import { createRenderer } from '../synth/renderer.js';
import { letDawnSpin } from '../synth/gpu-wait.js';
import { readPly } from '../core/io/ply-read.js';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** Deterministic pseudo-random numbers in [0, 1) (LCG): benches and tests need the same scene every run. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * N random Gaussians filling the view of the identity camera: depth 2..4, across the 60° frustum,
 * std-devs of 0.5–1.5 px at `refWidth` (surfel-like: a lifted pixel is ~½ px), opacity 0.5–1,
 * random colours and rotations. At 1M and 512² about 27 splats overlap each pixel.
 */
export function randomSplatScene(count: number, seed = 1, refWidth = 512): Scene {
  const r = seededRandom(seed);
  const fx = intrinsicsFromHfov(refWidth, refWidth).fx;
  const positions = new Float32Array(3 * count);
  const colors = new Float32Array(3 * count);
  const scales = new Float32Array(3 * count);
  const rotations = new Float32Array(4 * count);
  const opacities = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const z = 2 + 2 * r();
    positions.set([(2 * r() - 1) * 0.55 * z, (2 * r() - 1) * 0.55 * z, z], 3 * i);
    colors.set([r(), r(), r()], 3 * i);
    for (let k = 0; k < 3; k++) scales[3 * i + k] = ((0.5 + r()) * z) / fx;
    const q = [r() - 0.5, r() - 0.5, r() - 0.5, r() - 0.5];
    const len = Math.hypot(...q) || 1;
    rotations.set(
      q.map((x) => x / len),
      4 * i,
    );
    opacities[i] = 0.5 + 0.5 * r();
  }
  return {
    count,
    positions,
    colors,
    scales,
    rotations,
    opacities,
    units: 'metres',
    reference: { intrinsics: intrinsicsFromHfov(refWidth, refWidth), c2w: identity() },
    up: [0, -1, 0],
    pivot: [0, 0, 3],
    bounds: { min: [-2.2, -2.2, 2], max: [2.2, 2.2, 4] },
    notes: ['random splats (bench)'],
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** ../shared/data/splats/biker.ply beside the checkout (sources or dist/), if present. */
function bikerPly(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const roots = [
    process.env.VANTAGE_SHARED_DATA,
    resolve(here, '..', '..', 'shared', 'data'),
    resolve(here, '..', '..', '..', 'shared', 'data'),
  ];
  return roots.map((r) => r && join(r, 'splats', 'biker.ply')).find((p): p is string => !!p && existsSync(p));
}

async function timeFrames(
  renderer: Renderer,
  scene: Scene,
  mode: RenderMode,
  size: number | [number, number],
  frames: number,
  cam?: Camera,
): Promise<{ wallMs: number; cpuMs: number }> {
  const [width, height] = typeof size === 'number' ? [size, size] : size;
  const camera: Camera = cam ?? { intrinsics: intrinsicsFromHfov(width, height), c2w: identity() };
  const options = { mode, width, height, holes: 'none' as const };
  await renderer.render(scene, camera, options); // warm-up: pipelines, upload, buffer growth
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < frames; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await renderer.render(scene, camera, options);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

/** The renderer figures (see the file comment). `frames`: timed frames per case. */
export async function benchRender(frames = 3): Promise<BenchFigure[]> {
  const renderer = await createRenderer();
  const out: BenchFigure[] = [];
  const cases: [RenderMode, number, number][] = [
    ['gaussians', 100_000, 512],
    ['gaussians', 1_000_000, 512],
    ['gaussians', 100_000, 1024],
    ['gaussians', 1_000_000, 1024],
    ['points', 1_000_000, 512],
  ];
  const scenes = new Map<number, Scene>();
  try {
    for (const [mode, count, size] of cases) {
      let scene = scenes.get(count);
      if (!scene) {
        scene = randomSplatScene(count);
        scenes.set(count, scene);
      }
      const t = await timeFrames(renderer, scene, mode, size, frames);
      out.push({
        name: `render ${mode}, ${count >= 1e6 ? `${count / 1e6}M` : `${count / 1e3}k`} random splats, ${size}²`,
        value: Math.round(t.wallMs),
        unit: 'ms/frame',
        note: `${renderer.kind}; median of ${frames} after warm-up; sort + readback included; process CPU ${Math.round(t.cpuMs)} ms`,
      });
    }
    // Waiting for the GPU: Dawn's own busy poll against the timer poll (synth/gpu-wait.ts), A/B alternated.
    {
      const scene = scenes.get(1_000_000) ?? randomSplatScene(1_000_000);
      const ab: Record<'spin' | 'timer', { wallMs: number; cpuMs: number }[]> = { spin: [], timer: [] };
      for (let k = 0; k < frames; k++) {
        for (const how of ['spin', 'timer'] as const) {
          letDawnSpin(how === 'spin');
          try {
            ab[how].push(await timeFrames(renderer, scene, 'gaussians', 1024, 1));
          } finally {
            letDawnSpin(false);
          }
        }
      }
      const med = (how: 'spin' | 'timer', key: 'wallMs' | 'cpuMs') => median(ab[how].map((t) => t[key]));
      for (const how of ['spin', 'timer'] as const) {
        out.push({
          name: `render gaussians 1M at 1024², GPU wait by ${how === 'spin' ? "Dawn's setImmediate re-arming (before)" : 'timer poll after 1 ms (now)'}`,
          value: Math.round(med(how, 'wallMs')),
          unit: 'ms/frame',
          note: `process CPU ${Math.round(med(how, 'cpuMs'))} ms; median of ${frames}, A/B alternated`,
        });
      }
      out.push({
        name: 'GPU wait: timer poll / busy poll, wall time of a 1M 1024² frame',
        value: med('timer', 'wallMs') / med('spin', 'wallMs'),
        unit: '×',
        note: `CPU time ${(med('timer', 'cpuMs') / med('spin', 'cpuMs')).toFixed(2)}×`,
      });
    }
    const ply = bikerPly();
    if (ply) {
      const scene = await readPly(ply);
      const t = await timeFrames(renderer, scene, 'gaussians', [512, 384], frames, scene.reference);
      out.push({
        name: `render gaussians, biker.ply (${scene.count.toLocaleString('en')} real 3DGS splats), 512×384`,
        value: Math.round(t.wallMs),
        unit: 'ms/frame',
        note: `${renderer.kind}; reference view; median of ${frames} after warm-up; process CPU ${Math.round(t.cpuMs)} ms`,
      });
    }
  } finally {
    renderer.dispose();
  }
  return out;
}
