/**
 * Every numeric convention of Vantage, in one place (docs/conventions.md).
 *
 * - World = the frame of reference camera 0 at capture, OpenCV axes: +x right, +y down, +z forward.
 * - Units: metres, or "relative depth units" when depth is only relative (Scene.units says which).
 * - A pose is camera-to-world (c2w), 4×4, column-major as gl-matrix stores it.
 * - Intrinsics are pixels; pixel (u, v) has its centre at (u + ½, v + ½):
 *     x_cam = (u + ½ − cx) / fx · z,   y_cam = (v + ½ − cy) / fy · z.
 * - Unknown intrinsics: 60° horizontal field of view, square pixels, principal point at the centre.
 * - Up is the reference camera's −y (world (0, −1, 0)) unless a floor plane says otherwise.
 */
import { mat4, vec3 } from 'gl-matrix';
import type { Camera, Intrinsics, Mat4, Vec3 } from './types.js';
import { VantageError } from './errors.js';

export const DEFAULT_HFOV_DEG = 60;
/** World up when no floor plane was found: the reference camera's −y. */
export const DEFAULT_UP: Vec3 = [0, -1, 0];

export const deg2rad = (d: number): number => (d * Math.PI) / 180;
export const rad2deg = (r: number): number => (r * 180) / Math.PI;

/** A fresh 4×4 identity in double precision. */
export function identity(): Float64Array {
  const m = new Float64Array(16);
  m[0] = m[5] = m[10] = m[15] = 1;
  return m;
}

/** Copy any Mat4 to double precision. */
export function toF64(m: Mat4): Float64Array {
  if (m.length !== 16) throw new VantageError('bad-matrix', `a 4×4 matrix needs 16 numbers, got ${m.length}`);
  return Float64Array.from(m as ArrayLike<number>);
}

/** Intrinsics from a horizontal field of view (degrees), square pixels, centred principal point. */
export function intrinsicsFromHfov(width: number, height: number, hfovDeg = DEFAULT_HFOV_DEG): Intrinsics {
  if (!(hfovDeg > 0 && hfovDeg < 180)) {
    throw new VantageError('bad-fov', `field of view must be between 0 and 180 degrees, got ${hfovDeg}`);
  }
  const fx = width / 2 / Math.tan(deg2rad(hfovDeg) / 2);
  return { fx, fy: fx, cx: width / 2, cy: height / 2, width, height };
}

/** Horizontal field of view of intrinsics, in degrees. */
export function hfovDeg(k: Intrinsics): number {
  return rad2deg(2 * Math.atan(k.width / 2 / k.fx));
}

/** Intrinsics rescaled to another image size (same field of view). */
export function scaleIntrinsics(k: Intrinsics, width: number, height: number): Intrinsics {
  const sx = width / k.width;
  const sy = height / k.height;
  return { fx: k.fx * sx, fy: k.fy * sy, cx: k.cx * sx, cy: k.cy * sy, width, height };
}

/**
 * Intrinsics for an output of another size *and aspect*: one scale for both axes (pixels stay
 * square), the largest at which the whole original field of view fits ("contain"), the principal
 * point kept at the same offset from the centre. Equals scaleIntrinsics when the aspect is the same.
 */
export function fitIntrinsics(k: Intrinsics, width: number, height: number): Intrinsics {
  const s = Math.min(width / k.width, height / k.height);
  return {
    fx: k.fx * s,
    fy: k.fy * s,
    cx: k.cx * s + (width - k.width * s) / 2,
    cy: k.cy * s + (height - k.height * s) / 2,
    width,
    height,
  };
}

/** Camera-space point of pixel (u, v) (integer index) at depth z (camera-space z, not ray length). */
export function unprojectPixel(k: Intrinsics, u: number, v: number, z: number): Vec3 {
  return [((u + 0.5 - k.cx) / k.fx) * z, ((v + 0.5 - k.cy) / k.fy) * z, z];
}

/** Continuous image coordinates (u + ½ at a pixel centre) and depth of a camera-space point. */
export function projectCameraPoint(k: Intrinsics, p: Vec3): { x: number; y: number; z: number } {
  return { x: (k.fx * p[0]) / p[2] + k.cx, y: (k.fy * p[1]) / p[2] + k.cy, z: p[2] };
}

/** Apply a 4×4 (column-major) to a point. */
export function transformPoint(m: Mat4, p: Vec3): Vec3 {
  return [
    m[0] * p[0] + m[4] * p[1] + m[8] * p[2] + m[12],
    m[1] * p[0] + m[5] * p[1] + m[9] * p[2] + m[13],
    m[2] * p[0] + m[6] * p[1] + m[10] * p[2] + m[14],
  ];
}

/** Apply the rotation part of a 4×4 to a direction. */
export function transformDirection(m: Mat4, d: Vec3): Vec3 {
  return [
    m[0] * d[0] + m[4] * d[1] + m[8] * d[2],
    m[1] * d[0] + m[5] * d[1] + m[9] * d[2],
    m[2] * d[0] + m[6] * d[1] + m[10] * d[2],
  ];
}

/** world-to-camera from camera-to-world. */
export function invertPose(c2w: Mat4): Float64Array {
  const out = new Float64Array(16);
  if (!mat4.invert(out as unknown as mat4, toF64(c2w) as unknown as mat4)) {
    throw new VantageError('bad-pose', 'camera pose matrix is not invertible');
  }
  return out;
}

export function multiply(a: Mat4, b: Mat4): Float64Array {
  const out = new Float64Array(16);
  mat4.multiply(out as unknown as mat4, toF64(a) as unknown as mat4, toF64(b) as unknown as mat4);
  return out;
}

/** Camera position (world) of a c2w. */
export function cameraCenter(c2w: Mat4): Vec3 {
  return [c2w[12], c2w[13], c2w[14]];
}

/** The camera's axes in world space: right (+x), down (+y), forward (+z). */
export function cameraAxes(c2w: Mat4): { right: Vec3; down: Vec3; forward: Vec3 } {
  return {
    right: [c2w[0], c2w[1], c2w[2]],
    down: [c2w[4], c2w[5], c2w[6]],
    forward: [c2w[8], c2w[9], c2w[10]],
  };
}

/** c2w from columns right, down, forward and a centre. */
export function poseFromAxes(right: Vec3, down: Vec3, forward: Vec3, center: Vec3): Float64Array {
  return Float64Array.from([
    right[0],
    right[1],
    right[2],
    0,
    down[0],
    down[1],
    down[2],
    0,
    forward[0],
    forward[1],
    forward[2],
    0,
    center[0],
    center[1],
    center[2],
    1,
  ]);
}

const v3 = (a: Vec3): vec3 => vec3.fromValues(a[0], a[1], a[2]);
const arr = (a: vec3): Vec3 => [a[0], a[1], a[2]];

export function normalize(a: Vec3): Vec3 {
  const n = Math.hypot(a[0], a[1], a[2]);
  if (!(n > 1e-12)) throw new VantageError('bad-vector', 'cannot normalise a zero-length vector');
  return [a[0] / n, a[1] / n, a[2] / n];
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return arr(vec3.cross(vec3.create(), v3(a), v3(b)));
}

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

export function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

export function scale(a: Vec3, s: number): Vec3 {
  return [a[0] * s, a[1] * s, a[2] * s];
}

/**
 * A camera at `eye` looking at `target`, its image "up" as close to `up` as possible (OpenCV axes:
 * the camera's +y points along −up). Errors when eye = target or the view is parallel to up.
 */
export function lookAt(eye: Vec3, target: Vec3, up: Vec3 = DEFAULT_UP): Float64Array {
  const f = sub(target, eye);
  if (Math.hypot(...f) < 1e-9) throw new VantageError('bad-pose', 'lookat: eye and target are the same point');
  const forward = normalize(f);
  const down = scale(normalize(up), -1);
  const r = cross(down, forward);
  if (Math.hypot(...r) < 1e-6) {
    throw new VantageError('bad-pose', 'lookat: the view direction is parallel to "up"; give another up vector');
  }
  const right = normalize(r);
  const d = cross(forward, right);
  return poseFromAxes(right, d, forward, eye);
}

/** Rotation (4×4, about the origin) by `angleRad` about unit `axis`, right-handed. */
export function rotationAbout(axis: Vec3, angleRad: number): Float64Array {
  const out = new Float64Array(16);
  mat4.fromRotation(out as unknown as mat4, angleRad, v3(normalize(axis)));
  return out;
}

/** 4×4 translation. */
export function translation(t: Vec3): Float64Array {
  const m = identity();
  m[12] = t[0];
  m[13] = t[1];
  m[14] = t[2];
  return m;
}

/** Camera-space position of a world point for a camera. */
export function worldToCamera(c2w: Mat4, p: Vec3): Vec3 {
  return transformPoint(invertPose(c2w), p);
}

/** True when every entry is finite and the rotation part is orthonormal (to `tol`). */
export function isRigidPose(m: Mat4, tol = 1e-3): boolean {
  if (m.length !== 16 || !Array.from(m as ArrayLike<number>).every(Number.isFinite)) return false;
  const { right, down, forward } = cameraAxes(m);
  const near = (a: number, b: number) => Math.abs(a - b) <= tol;
  return (
    near(dot(right, right), 1) &&
    near(dot(down, down), 1) &&
    near(dot(forward, forward), 1) &&
    near(dot(right, down), 0) &&
    near(dot(right, forward), 0) &&
    near(dot(down, forward), 0) &&
    near(m[3], 0) &&
    near(m[7], 0) &&
    near(m[11], 0) &&
    near(m[15], 1) &&
    dot(cross(right, down), forward) > 0
  );
}

/** A plain camera. */
export function makeCamera(intrinsics: Intrinsics, c2w: Mat4): Camera {
  return { intrinsics, c2w: toF64(c2w) };
}
