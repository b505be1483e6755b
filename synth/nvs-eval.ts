/**
 * View-synthesis fidelity (`vantage nvs-eval`): how close a rendered novel view is to the truth.
 *
 * Procedural scenes: lift the reference frame (exact ray-cast depth), render at the input pose
 * (PSNR against the input over the pixels that have depth) and at orbits of 15°, 30°, 60° (PSNR over the pixels that are visible
 * both in the ground-truth view and from the reference camera — the only pixels a lift can know —
 * and coverage). Multi-frame lifts (procedural): the reference plus a second frame at orbit
 * HELD_OUT.extra, rendered at the held-out orbit HELD_OUT.at between them, against one frame alone
 * there (PSNR over pixels either input frame sees). Real frames (../shared/data/rgbd/open3d): lift
 * frame 0, then frames 0–1, 0–2, 0–3 (merge fusion, one frame added per row, and 0–3 stacked for
 * comparison), render at frame 4's pose, PSNR over covered pixels and coverage against frame 4.
 * Views are rendered with holes filled (push-pull): the image an MLLM would see.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Camera, RenderMode, Renderer, RgbdFrame, Scene } from '../core/types.js';
import { invertPose, transformPoint, unprojectPixel, projectCameraPoint, multiply } from '../core/camera.js';
import { c2wFromPose } from '../core/pose.js';
import { readImage } from '../core/io/image.js';
import { readDepth } from '../core/io/depth.js';
import { readTrajectory, relativeToFirst } from '../core/io/trajectory.js';
import { liftToScene } from './lift.js';
import type { FusionPolicy } from './fuse.js';
import { refineColours } from './refine.js';
import { poseContextOf } from './scene.js';
import { psnr } from './metrics.js';

export interface NvsRow {
  scene: string;
  mode: RenderMode;
  /** 'input' or e.g. 'orbit 30°' or 'frame 4' */
  pose: string;
  psnr: number;
  coverage: number;
  /** pixels the PSNR was computed over */
  pixels: number;
}

export interface NvsReport {
  rows: NvsRow[];
  skipped: string[];
  renderer: string;
}

/**
 * A scene with known truth: the reference frame to lift, and the exact image and depth from any camera
 * (procedural scenes ray-cast it; see fixtures/nvs-cases.ts). Kept as plain data so synth never imports
 * the fixtures.
 */
export interface NvsCase {
  name: string;
  /** the frame that is lifted (exact depth), seen from `reference` */
  frame: RgbdFrame;
  reference: Camera;
  truth(camera: Camera): { rgb: Uint8Array; depth: Float32Array };
}

const ORBITS = [15, 30, 60];
/** Ray-cast and sensor depth: lifted as measured (synth/lift.ts). */
const MEASURED = { depth: 'measured' } as const;
/** Multi-frame procedural lifts: a second input frame at orbit `extra`, evaluated at the held-out orbit `at`. */
const HELD_OUT = { extra: 40, at: 20 };

/** Pixels of a ground-truth view whose surface the reference camera also sees (depth test). */
export function coVisibleMask(gtDepth: Float32Array, gt: Camera, ref: RgbdFrame, relTol = 0.03): Uint8Array {
  const { width, height } = gt.intrinsics;
  const mask = new Uint8Array(width * height);
  const toRef = multiply(invertPose(ref.c2w), gt.c2w);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const i = v * width + u;
      const z = gtDepth[i];
      if (!(z > 0 && Number.isFinite(z))) continue;
      const p = transformPoint(toRef, unprojectPixel(gt.intrinsics, u, v, z));
      if (p[2] <= 0) continue;
      const q = projectCameraPoint(ref.intrinsics, p);
      const ru = Math.floor(q.x);
      const rv = Math.floor(q.y);
      if (ru < 0 || rv < 0 || ru >= ref.width || rv >= ref.height) continue;
      const rz = ref.depth[rv * ref.width + ru];
      if (rz > 0 && Math.abs(rz - p[2]) <= relTol * p[2]) mask[i] = 1;
    }
  }
  return mask;
}

/** Pixels of a ground-truth view that any of the frames sees (coVisibleMask of each, or-ed). */
function coVisibleAny(gtDepth: Float32Array, gt: Camera, frames: RgbdFrame[]): Uint8Array {
  const out = new Uint8Array(gtDepth.length);
  for (const f of frames) {
    const m = coVisibleMask(gtDepth, gt, f);
    for (let i = 0; i < out.length; i++) out[i] |= m[i];
  }
  return out;
}

function rgbOf(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    out[j] = rgba[i];
    out[j + 1] = rgba[i + 1];
    out[j + 2] = rgba[i + 2];
  }
  return out;
}

async function renderRgb(renderer: Renderer, scene: Scene, camera: Camera, mode: RenderMode) {
  const { width, height } = camera.intrinsics;
  const view = await renderer.render(scene, camera, { mode, width, height, holes: 'fill' });
  return { rgb: rgbOf(view.rgba), coverage: view.coverage, coverageRatio: view.coverageRatio };
}

async function evalCase(c: NvsCase, renderer: Renderer, modes: RenderMode[]): Promise<NvsRow[]> {
  const { frame } = c;
  const scene = liftToScene([frame], MEASURED);
  const ctx = poseContextOf(scene);
  const rows: NvsRow[] = [];
  for (const mode of modes) {
    // At the input pose only pixels with depth can be lifted (sky has none): compare over those.
    const input = await renderRgb(renderer, scene, c.reference, mode);
    const hasDepth = Uint8Array.from(frame.depth, (z) => (z > 0 ? 1 : 0));
    rows.push({
      scene: c.name,
      mode,
      pose: 'input',
      psnr: psnr(input.rgb, frame.rgb, 3, hasDepth),
      coverage: input.coverageRatio,
      pixels: hasDepth.reduce((a, b) => a + b, 0),
    });
    for (const az of ORBITS) {
      const camera = orbitCamera(c, ctx, az);
      const gt = c.truth(camera);
      const mask = coVisibleMask(gt.depth, camera, frame);
      const r = await renderRgb(renderer, scene, camera, mode);
      const n = mask.reduce((a, b) => a + b, 0);
      rows.push({
        scene: c.name,
        mode,
        pose: `orbit ${az}°`,
        psnr: psnr(r.rgb, gt.rgb, 3, mask),
        coverage: r.coverageRatio,
        pixels: n,
      });
    }
  }
  return rows;
}

function orbitCamera(c: NvsCase, ctx: ReturnType<typeof poseContextOf>, az: number): Camera {
  return {
    intrinsics: c.reference.intrinsics,
    c2w: c2wFromPose({ mode: 'orbit', azimuth_deg: az, elevation_deg: 0, distance_scale: 1 }, ctx),
  };
}

/** One frame vs the reference plus a frame at orbit HELD_OUT.extra, both seen from the held-out orbit. */
async function evalHeldOut(c: NvsCase, renderer: Renderer, modes: RenderMode[]): Promise<NvsRow[]> {
  const ctx = poseContextOf(liftToScene([c.frame], MEASURED));
  const extraCam = orbitCamera(c, ctx, HELD_OUT.extra);
  const extraTruth = c.truth(extraCam);
  const extra: RgbdFrame = {
    ...c.frame,
    rgb: extraTruth.rgb,
    depth: extraTruth.depth,
    c2w: extraCam.c2w,
    source: `${c.name} orbit ${HELD_OUT.extra}°`,
  };
  const camera = orbitCamera(c, ctx, HELD_OUT.at);
  const gt = c.truth(camera);
  const mask = coVisibleAny(gt.depth, camera, [c.frame, extra]);
  const n = mask.reduce((a, b) => a + b, 0);
  const rows: NvsRow[] = [];
  for (const [label, frames] of [
    [`${c.name}, 1 frame`, [c.frame]],
    [`${c.name}, + orbit ${HELD_OUT.extra}° frame`, [c.frame, extra]],
  ] as const) {
    const scene = liftToScene([...frames], MEASURED);
    for (const mode of modes) {
      const r = await renderRgb(renderer, scene, camera, mode);
      rows.push({
        scene: label,
        mode,
        pose: `orbit ${HELD_OUT.at}° (held out)`,
        psnr: psnr(r.rgb, gt.rgb, 3, mask),
        coverage: r.coverageRatio,
        pixels: n,
      });
    }
  }
  return rows;
}

/**
 * Read frame i of the Open3D RGB-D sample (640×480, depth in mm, PrimeSense intrinsics fx = fy = 525,
 * Open3D cx, cy = 319.5, 239.5 with integer pixel centres = 320, 240 in Vantage's u + ½ convention).
 */
export async function readOpen3dFrame(dir: string, i: number, c2w: Float64Array): Promise<RgbdFrame> {
  const name = String(i).padStart(5, '0');
  const img = await readImage(join(dir, 'color', `${name}.jpg`));
  const d = await readDepth(join(dir, 'depth', `${name}.png`), { format: 'png16', scale: 1000 });
  return {
    width: img.width,
    height: img.height,
    rgb: img.rgb,
    depth: d.depth,
    c2w,
    units: 'metres',
    intrinsics: { fx: 525, fy: 525, cx: 320, cy: 240, width: 640, height: 480 },
    source: `open3d/${name}`,
  };
}

async function evalOpen3d(dir: string, renderer: Renderer, modes: RenderMode[], refine: number): Promise<NvsRow[]> {
  const poses = relativeToFirst(await readTrajectory(join(dir, 'trajectory.log')));
  const frames = await Promise.all([0, 1, 2, 3, 4].map((i) => readOpen3dFrame(dir, i, poses[i])));
  const target = frames[4];
  const camera: Camera = { intrinsics: target.intrinsics, c2w: target.c2w };
  const rows: NvsRow[] = [];
  const push = async (label: string, scene: Scene) => {
    for (const mode of modes) {
      const r = await renderRgb(renderer, scene, camera, mode);
      rows.push({
        scene: label,
        mode,
        pose: 'frame 4',
        psnr: psnr(r.rgb, target.rgb, 3, r.coverage),
        coverage: r.coverageRatio,
        pixels: r.coverage.reduce((a, b) => a + b, 0),
      });
    }
  };
  // One frame added per row (merge fusion), then 0–3 stacked as before fusion existed.
  const sets: [string, RgbdFrame[], FusionPolicy][] = [
    ['open3d frame 0', frames.slice(0, 1), 'merge'],
    ['open3d frames 0-1', frames.slice(0, 2), 'merge'],
    ['open3d frames 0-2', frames.slice(0, 3), 'merge'],
    ['open3d frames 0-3', frames.slice(0, 4), 'merge'],
    ['open3d frames 0-3 stacked', frames.slice(0, 4), 'stack'],
  ];
  for (const [label, src, fusion] of sets) {
    const scene = liftToScene(src, { ...MEASURED, fusion });
    await push(label, scene);
    if (refine > 0 && fusion === 'merge' && (src.length === 1 || src.length === 4)) {
      const r = await refineColours(scene, src, renderer, { iterations: refine });
      await push(`${label}, refine ${refine} (${Math.round(r.ms)} ms)`, r.scene);
    }
  }
  return rows;
}

export interface NvsEvalOptions {
  /** scenes with known truth (e.g. fixtures/nvs-cases.ts's procedural ones) */
  cases?: NvsCase[];
  modes?: RenderMode[];
  /** folder holding rgbd/open3d; skipped with a message when absent */
  sharedData?: string;
  /** also measure photometric refinement (synth/refine.ts) with this many steps on the Open3D lifts (default 0) */
  refine?: number;
  log?: (line: string) => void;
}

export async function runNvsEval(renderer: Renderer, o: NvsEvalOptions = {}): Promise<NvsReport> {
  const modes = o.modes ?? ['points', 'gaussians'];
  const log = o.log ?? (() => {});
  const rows: NvsRow[] = [];
  const skipped: string[] = [];
  for (const c of o.cases ?? []) {
    log(`nvs-eval: scene ${c.name}…`);
    rows.push(...(await evalCase(c, renderer, modes)));
    rows.push(...(await evalHeldOut(c, renderer, modes)));
  }
  const dir = o.sharedData ? join(o.sharedData, 'rgbd', 'open3d') : undefined;
  if (dir && existsSync(join(dir, 'trajectory.log'))) {
    log('nvs-eval: real frames (open3d)…');
    rows.push(...(await evalOpen3d(dir, renderer, modes, o.refine ?? 0)));
  } else {
    skipped.push(`real RGB-D frames skipped: ${dir ?? '../shared/data'}/rgbd/open3d not found`);
  }
  return { rows, skipped, renderer: renderer.kind };
}

/** The report as a Markdown table, grouped by scene and pose, one column per mode. */
export function nvsReportMarkdown(r: NvsReport): string {
  const modes = [...new Set(r.rows.map((x) => x.mode))];
  const keys = [...new Set(r.rows.map((x) => `${x.scene}|${x.pose}`))];
  const head = `| scene | pose | ${modes.map((m) => `${m} PSNR (dB) | ${m} coverage`).join(' | ')} |`;
  const sep = `|---|---|${modes.map(() => '---:|---:').join('|')}|`;
  const lines = keys.map((k) => {
    const [scene, pose] = k.split('|');
    const cells = modes.map((m) => {
      const row = r.rows.find((x) => x.scene === scene && x.pose === pose && x.mode === m);
      return row ? `${row.psnr.toFixed(2)} | ${(row.coverage * 100).toFixed(1)}%` : '– | –';
    });
    return `| ${scene} | ${pose} | ${cells.join(' | ')} |`;
  });
  return [head, sep, ...lines, ...r.skipped.map((s) => `\n${s}`)].join('\n');
}
