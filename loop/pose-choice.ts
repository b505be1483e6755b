/**
 * Which pose the loop renders: the controller's, once it is usable. Problems (out of range, no camera
 * resolves) go back to the model once; what is still unusable is clamped into range, its pivot reset,
 * or replaced by a default exploration pose — every change recorded (docs/conventions.md, "Poses").
 */
import {
  c2wFromPose,
  clampPose,
  poseCaption,
  poseRangeErrors,
  type NumericPose,
  type Pose,
  type PoseContext,
} from '../core/pose.js';
import { isVantageError } from '../core/errors.js';
import type { LoopConfig } from './types.js';

/** Orbit (or ego / preset) moves tried, in order, when a pose is needed and the model gave none usable. */
const FALLBACK_ORBITS: [number, number][] = [
  [45, 20],
  [-45, 20],
  [90, 0],
  [-90, 0],
  [0, 60],
  [135, 20],
  [-135, 20],
  [180, 0],
];
const FALLBACK_PRESETS = [
  'orbit_right_60',
  'orbit_left_60',
  'high_angle',
  'orbit_right_90',
  'orbit_left_90',
  'behind',
  'top_down',
] as const;

/** A default exploration pose not yet in `history`, in the configured format (language → orbit). */
export function fallbackPose(format: LoopConfig['poseFormat'], history: Pose[]): NumericPose {
  const seen = new Set(history.map((p) => JSON.stringify(p)));
  const candidates: NumericPose[] =
    format === 'preset'
      ? FALLBACK_PRESETS.map((name) => ({ mode: 'preset', name }))
      : format === 'ego'
        ? FALLBACK_ORBITS.map(([az, el]) => ({
            mode: 'ego',
            yaw_deg: -az / 2,
            pitch_deg: -el / 2,
            forward_m: 0,
            right_m: 0,
            up_m: 0,
          }))
        : FALLBACK_ORBITS.map(([az, el]) => ({ mode: 'orbit', azimuth_deg: az, elevation_deg: el, distance_scale: 1 }));
  return candidates.find((p) => !seen.has(JSON.stringify(p))) ?? candidates[history.length % candidates.length];
}

/** Problems that keep a pose from being rendered: out-of-range fields, or no camera resolves. */
export function poseProblems(pose: Pose, ctx: PoseContext): string[] {
  if (pose.mode === 'language') return ['a language pose must be turned into numbers first'];
  const errs = poseRangeErrors(pose);
  if (errs.length) return errs;
  try {
    c2wFromPose(pose, ctx);
    return [];
  } catch (e) {
    return [isVantageError(e) ? e.message : String(e)];
  }
}

/** A pose made renderable: clamped into range; an unresolvable pivot becomes the centre; else a default. */
export function forcedPose(
  pose: Pose,
  ctx: PoseContext,
  format: LoopConfig['poseFormat'],
  history: Pose[],
): { pose: NumericPose; clamped: string[] } {
  if (pose.mode !== 'language') {
    try {
      const c = clampPose(pose);
      let p = c.pose as NumericPose;
      const clamped = [...c.clamped];
      if (p.mode === 'orbit' && p.pivot && p.pivot !== 'center' && poseProblems(p, ctx).length) {
        clamped.push(`pivot (${p.pivot.u}, ${p.pivot.v}) → center (no lifted point there)`);
        p = { ...p, pivot: 'center' };
      }
      if (!poseProblems(p, ctx).length) return { pose: p, clamped };
    } catch {
      /* not clampable: fall through to a default pose */
    }
  }
  const p = fallbackPose(format, history);
  return { pose: p, clamped: [`pose replaced by the default exploration pose ${poseCaption(p)}`] };
}
