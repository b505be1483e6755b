/**
 * Measuring the built-in perceiver on the procedural question set with *ideal* views: every view,
 * the original included, is an exact ray cast of the fixture (no lifting, no holes). This bounds
 * what the loop can gain from new viewpoints, separately from view-synthesis quality; `vantage demo`
 * measures the real loop with rendered views.
 */
import type { Camera, Vec3 } from '../../core/types.js';
import { scaleIntrinsics, toF64, transformPoint, unprojectPixel } from '../../core/camera.js';
import { c2wFromPose, type Pose, type PoseContext } from '../../core/pose.js';
import { raycast } from '../../fixtures/raycast.js';
import type { FixtureScene } from '../../fixtures/types.js';
import type { SpatialQuestion } from '../../fixtures/questions.js';
import { answerWithPerceiver, choosePoseWithPerceiver } from '../../loop/perceiver/reason.js';
import { type PerceiverView } from '../../loop/perceiver/types.js';
import type { Answer, ControllerDecision } from '../../loop/types.js';

/** A ray-cast view of a fixture from a camera, as the perceiver receives it. */
export function raycastView(
  fixture: FixtureScene,
  camera: Camera,
  width: number,
  height: number,
  pose?: Pose,
): PerceiverView {
  const r = raycast(fixture, camera, width, height);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = r.rgb[3 * i];
    rgba[4 * i + 1] = r.rgb[3 * i + 1];
    rgba[4 * i + 2] = r.rgb[3 * i + 2];
    rgba[4 * i + 3] = 255;
  }
  const k = scaleIntrinsics(camera.intrinsics, width, height);
  return { width, height, rgba, depth: r.depth, camera: { intrinsics: k, c2w: toF64(camera.c2w) }, pose };
}

/**
 * The pose context the loop would use for a fixture seen in `ref` (a ray-cast reference view): the
 * fixture's up, the surface point under the image centre as pivot, and surface points under
 * pixels of `ref` for pixel pivots.
 */
export function fixturePoseContext(fixture: FixtureScene, ref: PerceiverView): PoseContext {
  const k = ref.camera!.intrinsics;
  const under = (u: number, v: number): Vec3 | undefined => {
    const x = Math.floor(u),
      y = Math.floor(v);
    if (x < 0 || y < 0 || x >= ref.width || y >= ref.height) return undefined;
    const z = ref.depth?.[y * ref.width + x] ?? 0;
    return z > 0 ? transformPoint(fixture.reference.c2w, unprojectPixel(k, x, y, z)) : undefined;
  };
  const pivot =
    under(ref.width / 2, ref.height / 2) ??
    transformPoint(fixture.reference.c2w, unprojectPixel(k, Math.floor(ref.width / 2), Math.floor(ref.height / 2), 2));
  return { reference: fixture.reference, up: fixture.up, pivot, pointUnderPixel: under };
}

export interface PerceiverRun {
  question: SpatialQuestion;
  /** the perceiver's answer after each round (0 = original view only) */
  answers: Answer[];
  decisions: ControllerDecision[];
  poses: Pose[];
}

/** Run the perceiver's own loop with ray-cast views: round 0, then up to `extraViews` views it asks for. */
export function runPerceiverWithRaycasts(
  fixture: FixtureScene,
  question: SpatialQuestion,
  opts: { extraViews: number; width?: number; height?: number; format?: 'orbit' | 'ego' | 'preset' },
): PerceiverRun {
  const w = opts.width ?? 256,
    h = opts.height ?? 192;
  const views = [raycastView(fixture, fixture.reference, w, h)];
  const ctx = fixturePoseContext(fixture, views[0]);
  const answers = [answerWithPerceiver(question, views)];
  const decisions: ControllerDecision[] = [];
  const poses: Pose[] = [];
  for (let r = 1; r <= opts.extraViews; r++) {
    const d = choosePoseWithPerceiver(question, views, poses, opts.format ?? 'orbit');
    decisions.push(d);
    if (d.action === 'stop') break;
    poses.push(d.pose);
    const cam: Camera = { intrinsics: fixture.reference.intrinsics, c2w: c2wFromPose(d.pose, ctx) };
    views.push(raycastView(fixture, cam, w, h, d.pose));
    answers.push(answerWithPerceiver(question, views));
  }
  return { question, answers, decisions, poses };
}

export interface AccuracySummary {
  n: number;
  /** accuracy after round r (the latest answer when the perceiver stopped earlier) */
  byRound: number[];
  byCategory: Record<string, { n: number; byRound: number[] }>;
  /** share of round-0 answers that said "cannot tell" */
  cannotTellRound0: number;
}

export function summarizeRuns(runs: PerceiverRun[], rounds: number): AccuracySummary {
  const correctAt = (run: PerceiverRun, r: number) =>
    run.answers[Math.min(r, run.answers.length - 1)].choice === run.question.answer ? 1 : 0;
  const acc = (rs: PerceiverRun[]) =>
    [...Array(rounds + 1).keys()].map((r) => (rs.length ? rs.reduce((s, x) => s + correctAt(x, r), 0) / rs.length : 0));
  const byCategory: AccuracySummary['byCategory'] = {};
  for (const c of [...new Set(runs.map((r) => r.question.category))]) {
    const rs = runs.filter((r) => r.question.category === c);
    byCategory[c] = { n: rs.length, byRound: acc(rs) };
  }
  return {
    n: runs.length,
    byRound: acc(runs),
    byCategory,
    cannotTellRound0: runs.length ? runs.filter((r) => r.answers[0].cannotTell).length / runs.length : 0,
  };
}
