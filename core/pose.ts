/**
 * Camera poses a user or an MLLM may ask for (docs/conventions.md, "Poses you (or the MLLM) can ask for"), their
 * validation, clamping, resolution to a camera-to-world matrix, and captions in words and numbers.
 *
 * orbit — swing around a pivot: positive azimuth moves the camera to its right (we then see the
 *   scene's right side), positive elevation raises it to look down; (0, 0, 1) is the reference view.
 * ego — first-person moves relative to the reference camera: positive yaw turns right, positive pitch
 *   looks up; forward_m / right_m / up_m move along the reference camera's forward, right and −y.
 * preset — named moves for ablations, each defined as an orbit or ego move below.
 * c2w — a raw camera-to-world matrix, 16 numbers, column-major.
 * lookat — eye and target in world coordinates, optional up (default: the scene's up).
 * language — free text, turned into numbers by a second MLLM call before it can be rendered.
 */
import { z } from 'zod';
import type { Camera, Mat4, Vec3 } from './types.js';
import {
  add,
  cameraAxes,
  cameraCenter,
  deg2rad,
  dot,
  isRigidPose,
  lookAt,
  multiply,
  normalize,
  rotationAbout,
  scale,
  sub,
  toF64,
  transformDirection,
  translation,
  poseFromAxes,
} from './camera.js';
import { VantageError } from './errors.js';
import { POSE_LIMITS } from './config.js';

const finite = () => z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const vec3 = z.tuple([finite(), finite(), finite()]);

const PivotSchema = z.union([z.literal('center'), z.object({ u: finite(), v: finite() }).strict()]);

export const OrbitPoseSchema = z
  .object({
    mode: z.literal('orbit'),
    azimuth_deg: finite(),
    elevation_deg: finite().default(0),
    distance_scale: finite().default(1),
    pivot: PivotSchema.optional(),
  })
  .strict();

export const EgoPoseSchema = z
  .object({
    mode: z.literal('ego'),
    yaw_deg: finite().default(0),
    pitch_deg: finite().default(0),
    forward_m: finite().default(0),
    right_m: finite().default(0),
    up_m: finite().default(0),
  })
  .strict();

export const PRESET_NAMES = [
  'reference',
  'turn_left_30',
  'turn_right_30',
  'look_up_20',
  'look_down_20',
  'step_forward',
  'step_back',
  'step_left',
  'step_right',
  'orbit_left_30',
  'orbit_right_30',
  'orbit_left_60',
  'orbit_right_60',
  'orbit_left_90',
  'orbit_right_90',
  'behind',
  'top_down',
  'high_angle',
  'zoom_in',
  'zoom_out',
] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const PresetPoseSchema = z.object({ mode: z.literal('preset'), name: z.enum(PRESET_NAMES) }).strict();

export const C2wPoseSchema = z
  .object({
    mode: z.literal('c2w'),
    matrix: z.array(finite()).length(16),
  })
  .strict();

export const LookAtPoseSchema = z
  .object({
    mode: z.literal('lookat'),
    eye: vec3,
    target: vec3,
    up: vec3.optional(),
  })
  .strict();

export const LanguagePoseSchema = z.object({ mode: z.literal('language'), text: z.string().min(1) }).strict();

export const PoseSchema = z.discriminatedUnion('mode', [
  OrbitPoseSchema,
  EgoPoseSchema,
  PresetPoseSchema,
  C2wPoseSchema,
  LookAtPoseSchema,
  LanguagePoseSchema,
]);

export type OrbitPose = z.infer<typeof OrbitPoseSchema>;
export type EgoPose = z.infer<typeof EgoPoseSchema>;
export type PresetPose = z.infer<typeof PresetPoseSchema>;
export type C2wPose = z.infer<typeof C2wPoseSchema>;
export type LookAtPose = z.infer<typeof LookAtPoseSchema>;
export type LanguagePose = z.infer<typeof LanguagePoseSchema>;
export type Pose = z.infer<typeof PoseSchema>;
export type PoseMode = Pose['mode'];
/** Poses that resolve to numbers without another MLLM call. */
export type NumericPose = Exclude<Pose, LanguagePose>;

/** What a pose is resolved against: the reference camera, the pivot, the up direction. */
export interface PoseContext {
  reference: Camera;
  up: Vec3;
  pivot: Vec3;
  /** the lifted world point under reference pixel (u, v), when the scene can tell */
  pointUnderPixel?: (u: number, v: number) => Vec3 | undefined;
}

/** Parse JSON text or an object into a Pose; a VantageError lists every problem. */
export function parsePose(input: unknown): Pose {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new VantageError(
        'bad-pose',
        `pose is not valid JSON: ${input.slice(0, 120)}`,
        'example: {"mode":"orbit","azimuth_deg":30,"elevation_deg":10,"distance_scale":1}',
      );
    }
  }
  const r = PoseSchema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(pose)'}: ${i.message}`).join('; ');
    throw new VantageError(
      'bad-pose',
      `invalid pose: ${problems}`,
      `modes: orbit, ego, preset, c2w, lookat, language; presets: ${PRESET_NAMES.join(', ')}`,
    );
  }
  return r.data;
}

/** Out-of-range fields of a pose, as sentences (empty when the pose is within range). */
export function poseRangeErrors(pose: Pose): string[] {
  const errs: string[] = [];
  const check = (name: string, v: number, [lo, hi]: readonly [number, number]) => {
    if (v < lo || v > hi) errs.push(`${name}=${v} is outside ${lo}..${hi}`);
  };
  if (pose.mode === 'orbit') {
    check('azimuth_deg', pose.azimuth_deg, POSE_LIMITS.azimuthDeg);
    check('elevation_deg', pose.elevation_deg, POSE_LIMITS.elevationDeg);
    check('distance_scale', pose.distance_scale, POSE_LIMITS.distanceScale);
  } else if (pose.mode === 'ego') {
    check('yaw_deg', pose.yaw_deg, POSE_LIMITS.yawDeg);
    check('pitch_deg', pose.pitch_deg, POSE_LIMITS.pitchDeg);
    for (const k of ['forward_m', 'right_m', 'up_m'] as const) check(k, pose[k], POSE_LIMITS.egoMoveM);
  } else if (pose.mode === 'c2w') {
    if (!isRigidPose(pose.matrix)) {
      errs.push(
        'matrix is not a rigid camera-to-world transform (rotation must be orthonormal, right-handed, last row 0 0 0 1)',
      );
    }
    if (pose.matrix.slice(12, 15).some((t) => Math.abs(t) > POSE_LIMITS.egoMoveM[1])) {
      errs.push(`matrix translation is beyond ±${POSE_LIMITS.egoMoveM[1]} scene units`);
    }
  } else if (pose.mode === 'lookat') {
    for (const [name, p] of [
      ['eye', pose.eye],
      ['target', pose.target],
    ] as const) {
      if (p.some((t) => Math.abs(t) > POSE_LIMITS.egoMoveM[1]))
        errs.push(`${name} is beyond ±${POSE_LIMITS.egoMoveM[1]} scene units`);
    }
    if (Math.hypot(...sub(pose.eye, pose.target)) < 1e-9) errs.push('eye and target are the same point');
  }
  return errs;
}

const clampTo = (v: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, v));

/**
 * The pose with every numeric field clamped into range, and what was clamped. c2w / lookat poses
 * that are not rigid or degenerate cannot be clamped: they throw.
 */
export function clampPose<P extends Pose>(pose: P): { pose: P; clamped: string[] } {
  const clamped: string[] = [];
  const fix = (name: string, v: number, range: readonly [number, number]) => {
    const c = clampTo(v, range);
    if (c !== v) clamped.push(`${name} ${v} → ${c}`);
    return c;
  };
  if (pose.mode === 'orbit') {
    const p = {
      ...pose,
      azimuth_deg: fix('azimuth_deg', wrapDeg(pose.azimuth_deg), POSE_LIMITS.azimuthDeg),
      elevation_deg: fix('elevation_deg', pose.elevation_deg, POSE_LIMITS.elevationDeg),
      distance_scale: fix('distance_scale', pose.distance_scale, POSE_LIMITS.distanceScale),
    };
    if (wrapDeg(pose.azimuth_deg) !== pose.azimuth_deg)
      clamped.unshift(`azimuth_deg ${pose.azimuth_deg} → ${p.azimuth_deg} (wrapped)`);
    return { pose: p, clamped };
  }
  if (pose.mode === 'ego') {
    const p = {
      ...pose,
      yaw_deg: fix('yaw_deg', wrapDeg(pose.yaw_deg), POSE_LIMITS.yawDeg),
      pitch_deg: fix('pitch_deg', pose.pitch_deg, POSE_LIMITS.pitchDeg),
      forward_m: fix('forward_m', pose.forward_m, POSE_LIMITS.egoMoveM),
      right_m: fix('right_m', pose.right_m, POSE_LIMITS.egoMoveM),
      up_m: fix('up_m', pose.up_m, POSE_LIMITS.egoMoveM),
    };
    return { pose: p, clamped };
  }
  const errs = poseRangeErrors(pose);
  if (errs.length) throw new VantageError('bad-pose', `pose cannot be clamped: ${errs.join('; ')}`);
  return { pose, clamped };
}

/** Angle wrapped into (−180, 180]. */
export function wrapDeg(d: number): number {
  const w = ((((d + 180) % 360) + 360) % 360) - 180;
  return w === -180 ? 180 : w;
}

/** The orbit or ego move a preset stands for; step sizes are a quarter of the pivot distance. */
function presetMove(name: PresetName, pivotDistance: number): OrbitPose | EgoPose {
  const step = 0.25 * pivotDistance;
  const orbit = (azimuth_deg: number, elevation_deg = 0, distance_scale = 1): OrbitPose => ({
    mode: 'orbit',
    azimuth_deg,
    elevation_deg,
    distance_scale,
  });
  const ego = (p: Partial<Omit<EgoPose, 'mode'>>): EgoPose => ({
    mode: 'ego',
    yaw_deg: 0,
    pitch_deg: 0,
    forward_m: 0,
    right_m: 0,
    up_m: 0,
    ...p,
  });
  switch (name) {
    case 'reference':
      return orbit(0);
    case 'turn_left_30':
      return ego({ yaw_deg: -30 });
    case 'turn_right_30':
      return ego({ yaw_deg: 30 });
    case 'look_up_20':
      return ego({ pitch_deg: 20 });
    case 'look_down_20':
      return ego({ pitch_deg: -20 });
    case 'step_forward':
      return ego({ forward_m: step });
    case 'step_back':
      return ego({ forward_m: -step });
    case 'step_left':
      return ego({ right_m: -step });
    case 'step_right':
      return ego({ right_m: step });
    case 'orbit_left_30':
      return orbit(-30);
    case 'orbit_right_30':
      return orbit(30);
    case 'orbit_left_60':
      return orbit(-60);
    case 'orbit_right_60':
      return orbit(60);
    case 'orbit_left_90':
      return orbit(-90);
    case 'orbit_right_90':
      return orbit(90);
    case 'behind':
      return orbit(180);
    case 'top_down':
      return orbit(0, 85);
    case 'high_angle':
      return orbit(0, 45);
    case 'zoom_in':
      return orbit(0, 0, 0.6);
    case 'zoom_out':
      return orbit(0, 0, 1.6);
  }
}

function orbitPivot(pose: OrbitPose, ctx: PoseContext): Vec3 {
  if (!pose.pivot || pose.pivot === 'center') return ctx.pivot;
  const p = ctx.pointUnderPixel?.(pose.pivot.u, pose.pivot.v);
  if (!p) {
    throw new VantageError(
      'bad-pose',
      `orbit pivot pixel (${pose.pivot.u}, ${pose.pivot.v}) has no lifted point`,
      'pick a pixel on a surface of the reference image, or use "center"',
    );
  }
  return p;
}

/** Camera-to-world of an orbit: rotate the reference camera about the pivot (elevation, then azimuth). */
function orbitC2w(pose: OrbitPose, ctx: PoseContext): Float64Array {
  const pivot = orbitPivot(pose, ctx);
  const ref = toF64(ctx.reference.c2w);
  const up = normalize(ctx.up);
  const { right } = cameraAxes(ref);
  // Elevation turns about the reference's right axis made horizontal, so a levelled scene stays level.
  const horizRight = sub(right, scale(up, dot(right, up)));
  const elevAxis = Math.hypot(...horizRight) > 1e-6 ? normalize(horizRight) : right;
  const rot = multiply(
    rotationAbout(up, deg2rad(pose.azimuth_deg)),
    rotationAbout(elevAxis, -deg2rad(pose.elevation_deg)),
  );
  const offset = scale(transformDirection(rot, sub(cameraCenter(ref), pivot)), pose.distance_scale);
  const out = multiply(rot, ref);
  const c = add(pivot, offset);
  out[12] = c[0];
  out[13] = c[1];
  out[14] = c[2];
  return out;
}

/** Camera-to-world of an ego move: translate in the reference camera's frame, then yaw, then pitch. */
function egoC2w(pose: EgoPose, ctx: PoseContext): Float64Array {
  const local = multiply(
    translation([pose.right_m, -pose.up_m, pose.forward_m]),
    multiply(rotationAbout([0, 1, 0], deg2rad(pose.yaw_deg)), rotationAbout([1, 0, 0], deg2rad(pose.pitch_deg))),
  );
  return multiply(toF64(ctx.reference.c2w), local);
}

/** Distance from the reference camera to the pivot (the scene's natural length scale). */
export function pivotDistance(ctx: PoseContext): number {
  return Math.hypot(...sub(ctx.pivot, cameraCenter(ctx.reference.c2w)));
}

/** Resolve a numeric pose to camera-to-world. Range is not checked here: see poseRangeErrors / clampPose. */
export function c2wFromPose(pose: Pose, ctx: PoseContext): Float64Array {
  switch (pose.mode) {
    case 'orbit':
      return orbitC2w(pose, ctx);
    case 'ego':
      return egoC2w(pose, ctx);
    case 'preset':
      return c2wFromPose(presetMove(pose.name, pivotDistance(ctx)), ctx);
    case 'c2w': {
      if (!isRigidPose(pose.matrix)) throw new VantageError('bad-pose', 'c2w matrix is not a rigid transform');
      return toF64(pose.matrix);
    }
    case 'lookat':
      return lookAt(pose.eye, pose.target, pose.up ?? ctx.up);
    case 'language':
      throw new VantageError(
        'bad-pose',
        'a language pose must be turned into numbers first (loop/ does this with a second MLLM call)',
      );
  }
}

const f = (x: number, digits = 1) => Number(x.toFixed(digits)).toString();

/** The pose in words and numbers, as shown to the MLLM under each rendered view. */
export function poseCaption(pose: Pose): string {
  switch (pose.mode) {
    case 'orbit': {
      const parts: string[] = [];
      if (pose.azimuth_deg !== 0)
        parts.push(`swung ${f(Math.abs(pose.azimuth_deg))}° to the ${pose.azimuth_deg > 0 ? 'right' : 'left'}`);
      if (pose.elevation_deg !== 0)
        parts.push(
          `${pose.elevation_deg > 0 ? 'raised' : 'lowered'} ${f(Math.abs(pose.elevation_deg))}° (looking ${pose.elevation_deg > 0 ? 'down' : 'up'})`,
        );
      if (pose.distance_scale !== 1)
        parts.push(`${pose.distance_scale < 1 ? 'closer' : 'farther'}, at ${f(pose.distance_scale, 2)}× the distance`);
      const pivot =
        !pose.pivot || pose.pivot === 'center'
          ? 'the scene centre'
          : `the point at pixel (${f(pose.pivot.u, 0)}, ${f(pose.pivot.v, 0)})`;
      const words = parts.length ? `camera ${parts.join(', ')} around ${pivot}` : 'the original viewpoint';
      return `${words} [orbit azimuth_deg=${f(pose.azimuth_deg)} elevation_deg=${f(pose.elevation_deg)} distance_scale=${f(pose.distance_scale, 2)}]`;
    }
    case 'ego': {
      const parts: string[] = [];
      if (pose.forward_m)
        parts.push(`${pose.forward_m > 0 ? 'stepped forward' : 'stepped back'} ${f(Math.abs(pose.forward_m), 2)}`);
      if (pose.right_m)
        parts.push(`${pose.right_m > 0 ? 'stepped right' : 'stepped left'} ${f(Math.abs(pose.right_m), 2)}`);
      if (pose.up_m) parts.push(`${pose.up_m > 0 ? 'rose' : 'crouched'} ${f(Math.abs(pose.up_m), 2)}`);
      if (pose.yaw_deg) parts.push(`turned ${f(Math.abs(pose.yaw_deg))}° ${pose.yaw_deg > 0 ? 'right' : 'left'}`);
      if (pose.pitch_deg) parts.push(`looked ${pose.pitch_deg > 0 ? 'up' : 'down'} ${f(Math.abs(pose.pitch_deg))}°`);
      const words = parts.length ? `camera ${parts.join(', ')} from the original position` : 'the original viewpoint';
      return `${words} [ego yaw_deg=${f(pose.yaw_deg)} pitch_deg=${f(pose.pitch_deg)} forward_m=${f(pose.forward_m, 2)} right_m=${f(pose.right_m, 2)} up_m=${f(pose.up_m, 2)}]`;
    }
    case 'preset':
      return `preset move "${pose.name.replace(/_/g, ' ')}" [preset ${pose.name}]`;
    case 'c2w':
      return `camera placed by an explicit matrix at (${pose.matrix
        .slice(12, 15)
        .map((x) => f(x, 2))
        .join(', ')}) [c2w]`;
    case 'lookat':
      return `camera at (${pose.eye.map((x) => f(x, 2)).join(', ')}) looking at (${pose.target.map((x) => f(x, 2)).join(', ')}) [lookat]`;
    case 'language':
      return `requested in words: "${pose.text}" [language]`;
  }
}

/** Build a PoseContext from a reference camera, pivot and up (the scene supplies these). */
export function poseContext(
  reference: Camera,
  pivot: Vec3,
  up: Vec3,
  pointUnderPixel?: PoseContext['pointUnderPixel'],
): PoseContext {
  return { reference, pivot, up, pointUnderPixel };
}

/** Identity c2w as a pose, for "the reference view". */
export const REFERENCE_POSE: OrbitPose = { mode: 'orbit', azimuth_deg: 0, elevation_deg: 0, distance_scale: 1 };

export type { Mat4 };
export { poseFromAxes };
