/**
 * What the viewer page looks at: the scene rendered server-side by the project's renderer (WebGPU
 * when the machine has it, else the TypeScript reference) for any pose, encoded as JPEG, with the
 * cameras of a trace projected into the frame; and the top-down map (the trace report's) with the
 * viewer's own camera on it. Rendering on the server keeps one code path and works in any browser,
 * WebGPU or not.
 */
import sharp from 'sharp';
import type { Camera, HoleMode, Intrinsics, Mat4, RenderMode, Renderer, Scene } from '../../core/types.js';
import { hfovDeg, invertPose, projectCameraPoint, scaleIntrinsics, toF64, transformPoint } from '../../core/camera.js';
import {
  c2wFromPose,
  clampPose,
  parsePose,
  pivotDistance,
  poseCaption,
  type NumericPose,
  type Pose,
} from '../../core/pose.js';
import { HOLE_MARK_COLOR, POSE_LIMITS } from '../../core/config.js';
import { VantageError } from '../../core/errors.js';
import { poseContextOf } from '../../synth/scene.js';
import type { Trace } from '../types.js';
import { topDownSketch } from '../report.js';
import { footprintOf, type Footprint } from '../footprint.js';

export interface LiveViewOptions {
  scene: Scene;
  renderer: Renderer;
  width: number;
  height: number;
  mode: RenderMode;
  holes: HoleMode;
  /** a trace whose cameras are drawn in the frame and on the map */
  trace?: Trace;
  /** JPEG quality 1..100 */
  quality?: number;
}

/** A camera of the trace where it falls in the current frame. */
export interface FrameMark {
  key: string;
  label: string;
  /** pixel position in the frame; z = its depth in front of the viewer */
  x: number;
  y: number;
  z: number;
}

export interface Frame {
  jpeg: Buffer;
  /** the pose rendered (clamped into range) */
  pose: NumericPose;
  caption: string;
  c2w: number[];
  coverage: number;
  renderMs: number;
  encodeMs: number;
  marks: FrameMark[];
}

/** The pose of a request: JSON text, checked, clamped into range; language poses are refused. */
export function livePose(text: string | null): NumericPose {
  if (!text) return { mode: 'orbit', azimuth_deg: 0, elevation_deg: 0, distance_scale: 1 };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new VantageError('bad-pose', 'the pose is not JSON');
  }
  const pose = parsePose(raw);
  if (pose.mode === 'language') throw new VantageError('bad-pose', 'the viewer renders numeric poses only');
  return clampPose(pose as NumericPose).pose;
}

export class LiveView {
  readonly intrinsics: Intrinsics;
  private readonly ctx;
  /** renders run one at a time (one GPU device, one reference renderer) */
  private queue: Promise<unknown> = Promise.resolve();
  private footprint?: Footprint;

  constructor(readonly o: LiveViewOptions) {
    this.intrinsics = scaleIntrinsics(o.scene.reference.intrinsics, o.width, o.height);
    this.ctx = poseContextOf(o.scene);
  }

  /** What the page needs to know once: size, pose limits, the trace's rounds. */
  info(): object {
    const rounds = (this.o.trace?.rounds ?? [])
      .filter((r) => r.view)
      .map((r) => ({ round: r.round, pose: r.view!.pose, caption: r.view!.caption, file: r.view!.file }));
    return {
      width: this.o.width,
      height: this.o.height,
      units: this.o.scene.units,
      limits: POSE_LIMITS,
      rounds,
      renderer: this.o.renderer.kind,
      pivotDistance: pivotDistance(this.ctx),
    };
  }

  c2wOf(pose: Pose): Float64Array {
    return c2wFromPose(pose, this.ctx);
  }

  /** A frame for the pose; a draft (while the camera moves) renders points, the settled one the chosen mode. */
  async frame(pose: NumericPose, draft = false): Promise<Frame> {
    const run = this.queue.then(() => this.render(pose, draft ? 'points' : this.o.mode));
    this.queue = run.catch(() => {});
    return run;
  }

  private async render(pose: NumericPose, mode: RenderMode): Promise<Frame> {
    const c2w = this.c2wOf(pose);
    const camera: Camera = { intrinsics: this.intrinsics, c2w };
    const t0 = performance.now();
    const out = await this.o.renderer.render(this.o.scene, camera, {
      mode,
      width: this.o.width,
      height: this.o.height,
      holes: this.o.holes,
      holeColor: HOLE_MARK_COLOR,
    });
    const t1 = performance.now();
    const jpeg = await sharp(Buffer.from(out.rgba.buffer, out.rgba.byteOffset, out.rgba.byteLength), {
      raw: { width: out.width, height: out.height, channels: 4 },
    })
      .removeAlpha()
      .jpeg({ quality: this.o.quality ?? 80 })
      .toBuffer();
    return {
      jpeg,
      pose,
      caption: poseCaption(pose),
      c2w: Array.from(c2w),
      coverage: out.coverageRatio,
      renderMs: t1 - t0,
      encodeMs: performance.now() - t1,
      marks: this.marks(c2w),
    };
  }

  /** The reference camera and each round's camera, projected into a view from c2w. */
  marks(c2w: Mat4): FrameMark[] {
    const w2c = invertPose(c2w);
    const cams: { key: string; label: string; m: Mat4 }[] = [
      { key: 'ref', label: 'ref', m: this.o.scene.reference.c2w },
      ...(this.o.trace?.rounds ?? [])
        .filter((r) => r.view?.c2w?.length === 16)
        .map((r) => ({ key: String(r.round), label: `r${r.round}`, m: toF64(r.view!.c2w) })),
    ];
    const out: FrameMark[] = [];
    for (const c of cams) {
      const p = transformPoint(w2c, [c.m[12], c.m[13], c.m[14]]);
      if (p[2] <= 1e-6) continue;
      const q = projectCameraPoint(this.intrinsics, p);
      if (q.x < 0 || q.y < 0 || q.x > this.o.width || q.y > this.o.height) continue;
      out.push({ key: c.key, label: c.label, x: q.x, y: q.y, z: p[2] });
    }
    return out;
  }

  /** The top-down map: the scene's footprint, the trace's cameras and the viewer's own. */
  map(pose: NumericPose): string {
    const { scene } = this.o;
    const trace = (this.o.trace ?? {
      reference: { intrinsics: scene.reference.intrinsics, c2w: Array.from(toF64(scene.reference.c2w)) },
      up: [...scene.up],
      pivot: [...scene.pivot],
      rounds: [],
      input: { units: scene.units },
    }) as Trace;
    this.footprint ??= trace.footprint ?? footprintOf(scene);
    const withFootprint = { ...trace, footprint: this.footprint };
    return topDownSketch(withFootprint, { c2w: Array.from(this.c2wOf(pose)), hfovDeg: hfovDeg(this.intrinsics) });
  }
}
