/**
 * Scene utilities: bounds, the default orbit pivot, "up" from a floor plane, picking the point under
 * a reference pixel, the PoseContext a scene gives, merging and subsetting.
 * Pixel coordinates (u, v) are pixel indices as in core/camera.ts: pixel (u, v) has its centre at
 * (u + ½, v + ½); fractional values are allowed.
 */
import type { Camera, Mat4, Scene, Vec3 } from '../core/types.js';
import { cameraAxes, cameraCenter, identity, invertPose, rad2deg, toF64, transformPoint } from '../core/camera.js';
import { poseContext, type PoseContext } from '../core/pose.js';
import { VantageError } from '../core/errors.js';
import { kthSmallest } from '../core/select.js';
import { sceneBounds } from '../core/bounds.js';
import { FLOOR_DETECTION, PICK_RADIUS_PX } from './config.js';
import { mulberry32 } from '../core/random.js'; // seeded: RANSAC must be reproducible

/** Anything with world positions seen from a reference camera (a Scene, lifted points plus a camera). */
export interface PointsWithReference {
  positions: Float32Array;
  reference: Camera;
}

/** The front-most point per reference pixel over a window of cells, with its projection. */
interface CellBuffer {
  u0: number;
  v0: number;
  cw: number;
  ch: number;
  index: Int32Array;
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
}

function frontMostPerCell(points: PointsWithReference, u0: number, v0: number, cw: number, ch: number): CellBuffer {
  const { positions, reference } = points;
  const k = reference.intrinsics;
  const w2c = invertPose(reference.c2w);
  const buf: CellBuffer = {
    u0,
    v0,
    cw,
    ch,
    index: new Int32Array(cw * ch).fill(-1),
    x: new Float32Array(cw * ch),
    y: new Float32Array(cw * ch),
    z: new Float32Array(cw * ch).fill(Infinity),
  };
  const n = Math.floor(positions.length / 3);
  for (let i = 0; i < n; i++) {
    const X = positions[i * 3],
      Y = positions[i * 3 + 1],
      Z = positions[i * 3 + 2];
    const cz = w2c[2] * X + w2c[6] * Y + w2c[10] * Z + w2c[14];
    if (!(cz > 0)) continue;
    const x = (k.fx * (w2c[0] * X + w2c[4] * Y + w2c[8] * Z + w2c[12])) / cz + k.cx;
    const y = (k.fy * (w2c[1] * X + w2c[5] * Y + w2c[9] * Z + w2c[13])) / cz + k.cy;
    const cu = Math.floor(x) - u0,
      cv = Math.floor(y) - v0;
    if (cu < 0 || cv < 0 || cu >= cw || cv >= ch) continue;
    const c = cv * cw + cu;
    if (cz < buf.z[c]) {
      buf.z[c] = cz;
      buf.index[c] = i;
      buf.x[c] = x;
      buf.y[c] = y;
    }
  }
  return buf;
}

/** Index of the cell point projecting nearest to (qx, qy) (continuous image coordinates) within radius, or −1. */
function nearestCell(buf: CellBuffer, qx: number, qy: number, radiusPx: number): number {
  let best = -1,
    bestD = radiusPx * radiusPx;
  const r = Math.ceil(radiusPx);
  const cu0 = Math.max(0, Math.floor(qx) - r - buf.u0),
    cu1 = Math.min(buf.cw - 1, Math.floor(qx) + r - buf.u0);
  const cv0 = Math.max(0, Math.floor(qy) - r - buf.v0),
    cv1 = Math.min(buf.ch - 1, Math.floor(qy) + r - buf.v0);
  for (let cv = cv0; cv <= cv1; cv++) {
    for (let cu = cu0; cu <= cu1; cu++) {
      const c = cv * buf.cw + cu;
      if (buf.index[c] < 0) continue;
      const d = (buf.x[c] - qx) ** 2 + (buf.y[c] - qy) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = buf.index[c];
      }
    }
  }
  return best;
}

const pointAt = (positions: Float32Array, i: number): Vec3 => [
  positions[i * 3],
  positions[i * 3 + 1],
  positions[i * 3 + 2],
];

/**
 * A picker for the reference camera: a z-buffer of the front-most point per reference pixel is
 * built on the first query, then each query returns the point whose projection is nearest to the
 * pixel centre within `radiusPx`, or undefined.
 */
function pointPicker(
  points: PointsWithReference,
  radiusPx: number = PICK_RADIUS_PX,
): (u: number, v: number) => Vec3 | undefined {
  const k = points.reference.intrinsics;
  let buf: CellBuffer | undefined;
  return (u: number, v: number) => {
    if (!Number.isFinite(u) || !Number.isFinite(v)) return undefined;
    buf ??= frontMostPerCell(points, 0, 0, k.width, k.height);
    const i = nearestCell(buf, u + 0.5, v + 0.5, radiusPx);
    return i < 0 ? undefined : pointAt(points.positions, i);
  };
}

/**
 * The front-most point nearest to reference pixel (u, v), within `radiusPx`; undefined when none.
 * One pass over the points with a z-buffer only as large as the search window (same answer as pointPicker).
 */
export function pointUnderPixel(
  points: PointsWithReference,
  u: number,
  v: number,
  radiusPx: number = PICK_RADIUS_PX,
): Vec3 | undefined {
  if (!Number.isFinite(u) || !Number.isFinite(v)) return undefined;
  const k = points.reference.intrinsics;
  const r = Math.ceil(radiusPx);
  const qx = u + 0.5,
    qy = v + 0.5;
  const u0 = Math.max(0, Math.floor(qx) - r),
    u1 = Math.min(k.width - 1, Math.floor(qx) + r);
  const v0 = Math.max(0, Math.floor(qy) - r),
    v1 = Math.min(k.height - 1, Math.floor(qy) + r);
  if (u1 < u0 || v1 < v0) return undefined;
  const buf = frontMostPerCell(points, u0, v0, u1 - u0 + 1, v1 - v0 + 1);
  const i = nearestCell(buf, qx, qy, radiusPx);
  return i < 0 ? undefined : pointAt(points.positions, i);
}

/**
 * Default orbit pivot: the point under the reference image centre, else the point on the optical
 * axis at the median depth of the points in view, else 1 unit ahead of the camera.
 */
export function defaultPivot(points: { positions: Float32Array }, reference: Camera): Vec3 {
  const k = reference.intrinsics;
  const under = pointUnderPixel({ positions: points.positions, reference }, k.cx - 0.5, k.cy - 0.5);
  if (under) return under;
  const w2c = invertPose(reference.c2w);
  const zs: number[] = [];
  const n = points.positions.length / 3;
  const step = Math.max(1, Math.floor(n / 50_000));
  for (let i = 0; i < n; i += step) {
    const c = transformPoint(w2c, [points.positions[i * 3], points.positions[i * 3 + 1], points.positions[i * 3 + 2]]);
    if (!(c[2] > 0)) continue;
    const x = (k.fx * c[0]) / c[2] + k.cx,
      y = (k.fy * c[1]) / c[2] + k.cy;
    if (x >= 0 && y >= 0 && x < k.width && y < k.height) zs.push(c[2]);
  }
  zs.sort((a, b) => a - b);
  const z = zs.length ? zs[zs.length >> 1] : 1;
  return transformPoint(reference.c2w, [0, 0, z]);
}

/** A plane n·x + offset = 0, n unit and pointing toward the reference camera. */
export interface FloorPlane {
  normal: Vec3;
  offset: number;
  /** share of the sampled points within the inlier distance */
  inlierShare: number;
  /** angle between the normal and the reference camera's −y, degrees */
  tiltDeg: number;
  /** distance of the reference camera above the plane */
  cameraHeight: number;
}

export interface UpEstimate {
  up: Vec3;
  /** the floor plane that levelled up, when one was found */
  floor?: FloorPlane;
  /** one line for Scene.notes */
  note: string;
}

export type FloorDetectionOptions = Partial<Record<keyof typeof FLOOR_DETECTION, number>>;

/** Least-squares plane normal of points (unit, unoriented), or undefined when degenerate. */
function fitPlaneNormal(xs: Float64Array, ids: number[]): { normal: Vec3; centroid: Vec3 } | undefined {
  const n = ids.length;
  if (n < 3) return undefined;
  let mx = 0,
    my = 0,
    mz = 0;
  for (const i of ids) {
    mx += xs[i * 3];
    my += xs[i * 3 + 1];
    mz += xs[i * 3 + 2];
  }
  mx /= n;
  my /= n;
  mz /= n;
  let xx = 0,
    xy = 0,
    xz = 0,
    yy = 0,
    yz = 0,
    zz = 0;
  for (const i of ids) {
    const x = xs[i * 3] - mx,
      y = xs[i * 3 + 1] - my,
      z = xs[i * 3 + 2] - mz;
    xx += x * x;
    xy += x * y;
    xz += x * z;
    yy += y * y;
    yz += y * z;
    zz += z * z;
  }
  // Normal = the axis with the largest cofactor determinant solved for the other two (exact for a 3×3
  // covariance whose smallest eigenvalue is well separated, which a plane's is).
  const dx = yy * zz - yz * yz,
    dy = xx * zz - xz * xz,
    dz = xx * yy - xy * xy;
  let v: Vec3;
  if (dx >= dy && dx >= dz) v = [dx, xz * yz - xy * zz, xy * yz - xz * yy];
  else if (dy >= dz) v = [xz * yz - xy * zz, dy, xy * xz - yz * xx];
  else v = [xy * yz - xz * yy, xy * xz - yz * xx, dz];
  const l = Math.hypot(...v);
  if (!(l > 0)) return undefined;
  return { normal: [v[0] / l, v[1] / l, v[2] / l], centroid: [mx, my, mz] };
}

/**
 * World up from a dominant floor plane (RANSAC on a subsample): a plane holding ≥ minInlierShare of
 * the points, whose normal (oriented toward the reference camera) is within maxTiltDeg of the
 * camera's −y and which lies below the camera. Otherwise the reference camera's −y.
 */
export function detectUp(
  positions: Float32Array,
  reference?: Camera | Mat4,
  opts: FloorDetectionOptions = {},
): UpEstimate {
  const o = { ...FLOOR_DETECTION, ...opts };
  const c2w =
    reference === undefined
      ? identity()
      : toF64('c2w' in (reference as Camera) ? (reference as Camera).c2w : (reference as Mat4));
  const C = cameraCenter(c2w);
  const down = cameraAxes(c2w).down;
  const camUp: Vec3 = [0 - down[0], 0 - down[1], 0 - down[2]]; // 0 − x: no −0 entries
  const fallback = (why: string): UpEstimate => ({ up: camUp, note: `up = reference camera −y (${why})` });
  const N = Math.floor(positions.length / 3);
  if (N < 3) return fallback('too few points for a floor plane');

  // Deterministic subsample, relative to the camera (numerically kinder).
  const S = Math.min(N, o.samplePoints);
  const xs = new Float64Array(S * 3);
  const dist = new Float64Array(S);
  for (let j = 0; j < S; j++) {
    const i = Math.floor((j * N) / S);
    const x = positions[i * 3] - C[0],
      y = positions[i * 3 + 1] - C[1],
      z = positions[i * 3 + 2] - C[2];
    xs[j * 3] = x;
    xs[j * 3 + 1] = y;
    xs[j * 3 + 2] = z;
    dist[j] = Math.sqrt(x * x + y * y + z * z);
  }
  const medDist = kthSmallest(dist, S >> 1);
  if (!(medDist > 0)) return fallback('points coincide with the camera');
  const thr = o.inlierRel * medDist;
  const cosTilt = Math.cos((o.maxTiltDeg * Math.PI) / 180);
  const scoreStep = Math.max(1, Math.floor(S / o.scorePoints));
  // The scoring subsample packed contiguously (every scoreStep-th point, in order).
  const M = Math.ceil(S / scoreStep);
  const ys = new Float64Array(M * 3);
  for (let k = 0, j = 0; j < S; j += scoreStep, k++) {
    ys[k * 3] = xs[j * 3];
    ys[k * 3 + 1] = xs[j * 3 + 1];
    ys[k * 3 + 2] = xs[j * 3 + 2];
  }
  const rand = mulberry32(o.seed);

  // A plane through the points in camera-relative coordinates: n·x + d = 0, oriented so the camera
  // (the origin here) is on the positive side: d > 0 is the camera's height above it.
  const accept = (n: Vec3, d: number) => d > 2 * thr && n[0] * camUp[0] + n[1] * camUp[1] + n[2] * camUp[2] >= cosTilt;
  let bestN: Vec3 | undefined,
    bestD = 0,
    bestScore = 0;
  for (let it = 0; it < o.iterations; it++) {
    const a = Math.floor(rand() * S),
      b = Math.floor(rand() * S),
      c = Math.floor(rand() * S);
    if (a === b || b === c || a === c) continue;
    const ux = xs[b * 3] - xs[a * 3],
      uy = xs[b * 3 + 1] - xs[a * 3 + 1],
      uz = xs[b * 3 + 2] - xs[a * 3 + 2];
    const vx = xs[c * 3] - xs[a * 3],
      vy = xs[c * 3 + 1] - xs[a * 3 + 1],
      vz = xs[c * 3 + 2] - xs[a * 3 + 2];
    let nx = uy * vz - uz * vy,
      ny = uz * vx - ux * vz,
      nz = ux * vy - uy * vx;
    const l = Math.sqrt(nx * nx + ny * ny + nz * nz);
    if (!(l > 1e-12 * medDist * medDist)) continue;
    nx /= l;
    ny /= l;
    nz /= l;
    let d = -(nx * xs[a * 3] + ny * xs[a * 3 + 1] + nz * xs[a * 3 + 2]);
    if (d < 0) {
      nx = -nx;
      ny = -ny;
      nz = -nz;
      d = -d;
    }
    if (!(d > 2 * thr && nx * camUp[0] + ny * camUp[1] + nz * camUp[2] >= cosTilt)) continue; // accept(), without an array
    // Score; stop once even all the remaining points could not beat the best (same winner).
    let score = 0;
    for (let k = 0; k < M; k++) {
      if (Math.abs(nx * ys[k * 3] + ny * ys[k * 3 + 1] + nz * ys[k * 3 + 2] + d) < thr) score++;
      if ((k & 255) === 255 && score + (M - 1 - k) <= bestScore) break;
    }
    if (score > bestScore) {
      bestScore = score;
      bestN = [nx, ny, nz];
      bestD = d;
    }
  }
  if (!bestN) return fallback('no plane below the camera within ' + o.maxTiltDeg + '° of its −y');

  // Refine: least squares on the inliers, twice.
  let n = bestN,
    d = bestD,
    inliers: number[];
  for (let pass = 0; pass < 2; pass++) {
    inliers = [];
    for (let j = 0; j < S; j++) {
      if (Math.abs(n[0] * xs[j * 3] + n[1] * xs[j * 3 + 1] + n[2] * xs[j * 3 + 2] + d) < thr) inliers.push(j);
    }
    const fit = fitPlaneNormal(xs, inliers);
    if (!fit) break;
    let fn = fit.normal;
    let fd = -(fn[0] * fit.centroid[0] + fn[1] * fit.centroid[1] + fn[2] * fit.centroid[2]);
    if (fd < 0) {
      fn = [-fn[0], -fn[1], -fn[2]];
      fd = -fd;
    }
    n = fn;
    d = fd;
  }
  inliers = [];
  for (let j = 0; j < S; j++) {
    if (Math.abs(n[0] * xs[j * 3] + n[1] * xs[j * 3 + 1] + n[2] * xs[j * 3 + 2] + d) < thr) inliers.push(j);
  }
  const share = inliers.length / S;
  const tiltDeg = rad2deg(Math.acos(Math.min(1, n[0] * camUp[0] + n[1] * camUp[1] + n[2] * camUp[2])));
  if (!accept(n, d)) return fallback('the best horizontal plane is not below the camera');
  if (share < o.minInlierShare) {
    return fallback(`largest floor-like plane holds only ${(share * 100).toFixed(0)}% of the points`);
  }
  // Back to world: n·(x − C) + d = 0 → offset = d − n·C.
  const offset = d - (n[0] * C[0] + n[1] * C[1] + n[2] * C[2]);
  return {
    up: n,
    floor: { normal: n, offset, inlierShare: share, tiltDeg, cameraHeight: d },
    note: `up levelled by floor plane (${tiltDeg.toFixed(1)}° from camera −y, ${(share * 100).toFixed(0)}% of points, camera ${d.toFixed(2)} above it)`,
  };
}

/** The PoseContext of a scene: reference camera, pivot, up, and a cached point-under-pixel picker. */
export function poseContextOf(scene: Scene): PoseContext {
  return poseContext(scene.reference, scene.pivot, scene.up, pointPicker(scene));
}

/** The scene restricted to some Gaussians: a list of indices, or a predicate on the index. */
export function subsetScene(scene: Scene, select: ArrayLike<number> | ((i: number) => boolean)): Scene {
  let ids: ArrayLike<number>;
  if (typeof select === 'function') {
    const keep: number[] = [];
    for (let i = 0; i < scene.count; i++) if (select(i)) keep.push(i);
    ids = keep;
  } else {
    ids = select;
  }
  const n = ids.length;
  const out: Scene = {
    ...scene,
    count: n,
    positions: new Float32Array(n * 3),
    colors: new Float32Array(n * 3),
    scales: new Float32Array(n * 3),
    rotations: new Float32Array(n * 4),
    opacities: new Float32Array(n),
    notes: [...scene.notes],
  };
  for (let j = 0; j < n; j++) {
    const i = ids[j];
    if (!(Number.isInteger(i) && i >= 0 && i < scene.count)) {
      throw new VantageError('bad-subset', `subset index ${i} is outside the scene's 0..${scene.count - 1}`);
    }
    for (let c = 0; c < 3; c++) {
      out.positions[j * 3 + c] = scene.positions[i * 3 + c];
      out.colors[j * 3 + c] = scene.colors[i * 3 + c];
      out.scales[j * 3 + c] = scene.scales[i * 3 + c];
    }
    for (let c = 0; c < 4; c++) out.rotations[j * 4 + c] = scene.rotations[i * 4 + c];
    out.opacities[j] = scene.opacities[i];
  }
  out.bounds = sceneBounds(out.positions);
  return out;
}

/** One scene from several in the same world: the first one's reference, up and pivot are kept. */
export function mergeScenes(scenes: Scene[]): Scene {
  if (!scenes.length) throw new VantageError('no-scenes', 'mergeScenes needs at least one scene');
  const first = scenes[0];
  const mixed = scenes.findIndex((s) => s.units !== first.units);
  if (mixed >= 0) {
    throw new VantageError(
      'mixed-units',
      `scene ${mixed} is in ${scenes[mixed].units} units but scene 0 in ${first.units}`,
      'merge only scenes whose depths share units',
    );
  }
  const total = scenes.reduce((a, s) => a + s.count, 0);
  const out: Scene = {
    ...first,
    count: total,
    positions: new Float32Array(total * 3),
    colors: new Float32Array(total * 3),
    scales: new Float32Array(total * 3),
    rotations: new Float32Array(total * 4),
    opacities: new Float32Array(total),
    notes: [...new Set(scenes.flatMap((s) => s.notes))],
  };
  let off = 0;
  for (const s of scenes) {
    out.positions.set(s.positions.subarray(0, s.count * 3), off * 3);
    out.colors.set(s.colors.subarray(0, s.count * 3), off * 3);
    out.scales.set(s.scales.subarray(0, s.count * 3), off * 3);
    out.rotations.set(s.rotations.subarray(0, s.count * 4), off * 4);
    out.opacities.set(s.opacities.subarray(0, s.count), off);
    off += s.count;
  }
  if (scenes.length > 1) out.notes.push(`merged ${scenes.length} scenes (${total} Gaussians)`);
  out.bounds = sceneBounds(out.positions);
  return out;
}
