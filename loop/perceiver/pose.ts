/**
 * The perceiver's controller: a small deterministic search over candidate viewpoints. Where could
 * an unseen object be? Just behind something visible (that is what hid it). Each candidate pose —
 * orbits about the scene centre and about the occluders themselves (pivot at the occluder's pixel),
 * or their ego / preset equivalents — is scored by how many of those hiding places it would see:
 * inside its frame, with no located object and no seen wall in the way. The best untried one wins;
 * ties go to the earlier candidate.
 */
import type { Mat4, Vec3 } from '../../core/types.js';
import {
  add,
  cameraAxes,
  cameraCenter,
  dot,
  invertPose,
  normalize,
  projectCameraPoint,
  rad2deg,
  scale,
  sub,
  transformDirection,
  transformPoint,
  unprojectPixel,
  worldToCamera,
} from '../../core/camera.js';
import { c2wFromPose, poseCaption, type Pose, type PoseContext } from '../../core/pose.js';
import type { ControllerDecision } from '../types.js';
import { estimatePivot, estimateUp, type ObjectEstimate, type ViewAnalysis } from './world.js';
import { LABEL_WALL, intrinsicsForView } from './segment.js';
import type { ParsedQuestion } from '../../core/question-templates.js';

export interface PoseSearchInput {
  parsed: ParsedQuestion;
  analyses: ViewAnalysis[];
  objects: Map<string, ObjectEstimate>;
  /** named objects never seen so far */
  missing: string[];
  history: Pose[];
  format: 'orbit' | 'ego' | 'preset';
}

/** Tunables of the search (lengths × the pivot distance, so room and tabletop scenes behave alike). */
const POSE_SEARCH_TUNING = {
  /** orbits about the scene centre: (azimuth, elevation), in tie-break order */
  centerOrbits: [
    [0, 60],
    [90, 0],
    [-90, 0],
    [45, 0],
    [-45, 0],
    [180, 0],
    [135, 0],
    [-135, 0],
    [0, 35],
  ] as [number, number][],
  /** orbits about an occluder's own pixel */
  occluderOrbits: [
    [60, 0],
    [-60, 0],
    [90, 0],
    [-90, 0],
    [0, 45],
  ] as [number, number][],
  /** occluders considered for pixel-pivot orbits (largest first) */
  maxOccluders: 2,
  /** a hiding place sits this far (× pivot distance) behind an occluder's centre guess, with this radius */
  hideOffset: 0.08,
  hideRadius: 0.035,
  /** located objects block sight lines with this radius cap (× pivot distance) */
  obstacleRadiusCap: 0.12,
  /** a point counts as in frame inside this margin (share of the image side) */
  frameMargin: 0.05,
} as const;

/** Preset moves tried, in order, when the pose format is 'preset'. */
const PRESET_CANDIDATES = [
  'high_angle',
  'orbit_right_90',
  'orbit_left_90',
  'orbit_right_60',
  'orbit_left_60',
  'behind',
  'top_down',
  'orbit_right_30',
  'orbit_left_30',
] as const;

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * The ego move that reproduces a camera pose relative to the reference: translation in the reference
 * camera's axes, then yaw and pitch toward the same viewing direction (ego has no roll, so a rolled
 * target pose is matched in position and direction only).
 */
function egoFromC2w(c2w: Mat4, reference: Mat4): Pose {
  const w2r = invertPose(reference);
  const t = transformPoint(w2r, cameraCenter(c2w));
  const f = normalize(transformDirection(w2r, cameraAxes(c2w).forward));
  return {
    mode: 'ego',
    yaw_deg: round(rad2deg(Math.atan2(f[0], f[2])), 1),
    pitch_deg: round(rad2deg(Math.atan2(-f[1], Math.hypot(f[0], f[2]))), 1),
    forward_m: round(t[2]),
    right_m: round(t[0]),
    up_m: round(-t[1]),
  };
}

const samePose = (a: Pose, b: Pose) => JSON.stringify(a) === JSON.stringify(b);

interface Sphere {
  center: Vec3;
  radius: number;
  color?: string;
}

/** Does a located object stand between `eye` and the point `h`? */
function blocked(eye: Vec3, h: Sphere, obstacles: Sphere[]): boolean {
  const seg = sub(h.center, eye);
  const len = Math.hypot(...seg);
  const dir = scale(seg, 1 / len);
  return obstacles.some((o) => {
    if (o.color !== undefined && o.color === h.color) return false;
    const t = dot(sub(o.center, eye), dir);
    if (t <= 0 || t >= len - h.radius) return false;
    const closest = add(eye, scale(dir, t));
    return Math.hypot(...sub(o.center, closest)) < o.radius + 0.5 * h.radius;
  });
}

/** A grid-sampled cloud of wall points seen in a view, and their spacing (walls block viewpoints behind them). */
function wallPoints(a: ViewAnalysis, max = 2500): { points: Vec3[]; spacing: number } {
  const { view, labels } = a;
  if (!view.camera || !view.depth) return { points: [], spacing: 0 };
  const k = intrinsicsForView(view.camera, view.width, view.height);
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === LABEL_WALL && view.depth[i] > 0) count++;
  const g = Math.max(1, Math.ceil(Math.sqrt(count / max)));
  const points: Vec3[] = [];
  let maxZ = 0;
  for (let v = 0; v < view.height; v += g) {
    for (let u = 0; u < view.width; u += g) {
      const i = v * view.width + u;
      const z = view.depth[i];
      if (labels[i] !== LABEL_WALL || !(z > 0)) continue;
      points.push(transformPoint(view.camera.c2w, unprojectPixel(k, u, v, z)));
      maxZ = Math.max(maxZ, z);
    }
  }
  return { points, spacing: (g * maxZ) / k.fx };
}

/** Does the segment eye → p pass through the seen wall (within `tol`)? */
function crossesWall(eye: Vec3, p: Vec3, wall: Vec3[], tol: number): boolean {
  const seg = sub(p, eye);
  const len = Math.hypot(...seg);
  const dir = scale(seg, 1 / len);
  for (const w of wall) {
    const t = dot(sub(w, eye), dir);
    if (t <= 0.05 || t >= len - 0.05) continue;
    const q = sub(w, add(eye, scale(dir, t)));
    if (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] < tol * tol) return true;
  }
  return false;
}

/** The surface point under pixel (u, v) of a view with depth and camera (what the loop's lifted scene gives). */
function pointUnderPixelOf(a: ViewAnalysis): PoseContext['pointUnderPixel'] {
  const { view } = a;
  if (!view.camera || !view.depth) return undefined;
  const cam = view.camera;
  const k = intrinsicsForView(cam, view.width, view.height);
  return (u, v) => {
    const x = Math.min(view.width - 1, Math.max(0, Math.floor(u)));
    const y = Math.min(view.height - 1, Math.max(0, Math.floor(v)));
    const z = view.depth![y * view.width + x];
    return z > 0 && Number.isFinite(z) ? transformPoint(cam.c2w, unprojectPixel(k, x, y, z)) : undefined;
  };
}

export function chooseNextPose(input: PoseSearchInput): ControllerDecision {
  const T = POSE_SEARCH_TUNING;
  const { parsed, analyses, objects, missing, history, format } = input;
  const ref = analyses[0];
  const cam = ref.view.camera;
  const piv = estimatePivot(ref.view);
  const wanted = missing.length
    ? `the ${missing.join(', ')} object${missing.length > 1 ? 's' : ''}`
    : 'objects that may be hidden';
  const orbit = (az: number, el: number, pivot?: { u: number; v: number }): Pose => ({
    mode: 'orbit',
    azimuth_deg: az,
    elevation_deg: el,
    distance_scale: 1,
    ...(pivot ? { pivot } : {}),
  });
  if (!cam || !piv) {
    const fallback: Pose[] =
      format === 'preset'
        ? PRESET_CANDIDATES.map((name): Pose => ({ mode: 'preset', name }))
        : T.centerOrbits.map(([az, el]) => orbit(az, el));
    const next = fallback.find((p) => !history.some((h) => samePose(h, p)));
    return next
      ? { action: 'view', pose: next, reason: `look for ${wanted} from another side (no depth/camera to plan with)` }
      : { action: 'stop', reason: 'every candidate viewpoint has been tried' };
  }
  const d = piv.distance;
  const up = estimateUp(analyses);
  const ctx: PoseContext = { reference: cam, up, pivot: piv.pivot, pointUnderPixel: pointUnderPixelOf(ref) };
  const eye0 = cameraCenter(cam.c2w);
  const located: Sphere[] = [...objects.values()]
    .filter((o) => o.center)
    .map((o) => ({
      center: o.center!,
      radius: Math.min(T.obstacleRadiusCap * d, 0.5 * (o.widthM ?? 0.1 * d)),
      color: o.color,
    }));
  // Hiding places: just behind each object the original view shows (for "hidden behind X", X only).
  const refColors = ref.observations
    .slice()
    .sort((a, b) => b.pixels - a.pixels)
    .map((o) => o.color);
  const occluders = (parsed.kind === 'hidden-behind' ? [parsed.occluder] : refColors)
    .map((c) => located.find((s) => s.color === c))
    .filter((s): s is Sphere => !!s);
  const hides: Sphere[] = occluders.map((s) => {
    const ray = normalize(sub(s.center, eye0));
    return { center: add(s.center, scale(ray, s.radius + T.hideOffset * d)), radius: T.hideRadius * d };
  });

  // Candidates: orbits about the scene centre, then about the main occluders' pixels.
  const orbits: Pose[] = T.centerOrbits.map(([az, el]) => orbit(az, el));
  for (const s of occluders.slice(0, T.maxOccluders)) {
    const o = ref.observations.find((x) => x.color === s.color);
    if (!o) continue;
    const pixel = { u: Math.floor(o.centroidPx[0]), v: Math.floor(o.centroidPx[1]) };
    if (!ctx.pointUnderPixel?.(pixel.u, pixel.v)) continue;
    for (const [az, el] of T.occluderOrbits) orbits.push(orbit(az, el, pixel));
  }
  let candidates: Pose[];
  if (format === 'preset') candidates = PRESET_CANDIDATES.map((name): Pose => ({ mode: 'preset', name }));
  else if (format === 'ego') candidates = orbits.map((p) => egoFromC2w(c2wFromPose(p, ctx), cam.c2w));
  else candidates = orbits;
  candidates = candidates.filter((p) => !history.some((h) => samePose(h, p)));
  if (!candidates.length) return { action: 'stop', reason: 'every candidate viewpoint has been tried' };

  const k = intrinsicsForView(cam, ref.view.width, ref.view.height);
  const inFrame = (c2w: Float64Array, p: Vec3) => {
    const pc = worldToCamera(c2w, p);
    if (pc[2] < 0.05 * d) return false;
    const { x, y } = projectCameraPoint(k, pc);
    const m = T.frameMargin;
    return x > m * k.width && x < (1 - m) * k.width && y > m * k.height && y < (1 - m) * k.height;
  };
  const { points: wall, spacing } = wallPoints(ref);
  const wallTol = Math.max(0.015 * d, 0.75 * spacing);
  let best: { pose: Pose; score: number; seesHides: number } | undefined;
  for (const pose of candidates) {
    const c2w = c2wFromPose(pose, ctx);
    const eye = cameraCenter(c2w);
    // A viewpoint behind a wall sees the wall and nothing else: the wall test drops it from both terms.
    const seesHides = hides.filter(
      (h) => inFrame(c2w, h.center) && !blocked(eye, h, located) && !crossesWall(eye, h.center, wall, wallTol),
    ).length;
    const keepsInView =
      located.filter((s) => inFrame(c2w, s.center) && !crossesWall(eye, s.center, wall, wallTol)).length /
      Math.max(1, located.length);
    const score = seesHides + 0.25 * keepsInView;
    if (!best || score > best.score + 1e-9) best = { pose, score, seesHides };
  }
  const b = best!;
  return {
    action: 'view',
    pose: b.pose,
    reason: `look for ${wanted}: ${poseCaption(b.pose)} sees ${b.seesHides} of ${hides.length} place${hides.length === 1 ? '' : 's'} where an object could hide behind what the original view shows`,
  };
}
