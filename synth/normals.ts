/**
 * Surface normals from a depth map: the cross product of back-projected neighbour differences
 * (central differences where both neighbours are valid and continuous — over ±2 px when those
 * continue the surface too — one-sided otherwise), so a
 * pixel on an object's silhouette takes its normal from its own surface, never across the jump.
 * Camera space (OpenCV axes), unit length, oriented toward the camera.
 */
import type { Intrinsics } from '../core/types.js';
import { deg2rad } from '../core/camera.js';

/** What the per-pixel normal needs: cleaned depth (0 = none) and per-column / per-row ray factors. */
export interface NormalGrid {
  width: number;
  height: number;
  /** width × height camera z; 0 marks "no depth" (see cleanDepth) */
  depth: Float32Array;
  /** (u + ½ − cx) / fx per column: x_cam = ax[u] · z */
  ax: Float64Array;
  /** (v + ½ − cy) / fy per row: y_cam = ay[v] · z */
  ay: Float64Array;
  /** relative jump beyond which two neighbours are not the same surface */
  jumpRel: number;
}

/** Depth with every unusable value (0, negative, NaN, ±∞, beyond maxDepth) set to 0. */
export function cleanDepth(depth: Float32Array, maxDepth = Infinity): Float32Array {
  const out = new Float32Array(depth.length);
  for (let i = 0; i < depth.length; i++) {
    const z = depth[i];
    out[i] = z > 0 && z < Infinity && z <= maxDepth ? z : 0;
  }
  return out;
}

/**
 * The relative jump actually used between pixels `baselinePx` apart: never below what a plane tilted
 * at `grazingDeg` produces over that baseline (baseline · tan θ / f), so steep-but-continuous surfaces
 * in small images are judged by the grazing test rather than mistaken for discontinuities.
 */
export function effectiveJumpRel(jumpRel: number, grazingDeg: number, k: Intrinsics, baselinePx = 1): number {
  const f = Math.min(k.fx, k.fy);
  const slope = grazingDeg < 90 ? (baselinePx * Math.tan(deg2rad(grazingDeg))) / f : 0;
  return Math.max(jumpRel, slope);
}

/** The grid a depth map and its intrinsics define (depth must already be cleaned). */
export function normalGrid(
  depth: Float32Array,
  k: Intrinsics,
  width: number,
  height: number,
  jumpRel: number,
): NormalGrid {
  const ax = new Float64Array(width);
  const ay = new Float64Array(height);
  for (let u = 0; u < width; u++) ax[u] = (u + 0.5 - k.cx) / k.fx;
  for (let v = 0; v < height; v++) ay[v] = (v + 0.5 - k.cy) / k.fy;
  return { width, height, depth, ax, ay, jumpRel };
}

/** True when depths a and b (both > 0) are the same surface: neither exceeds the other by more than jumpRel. */
export function continuous(a: number, b: number, jumpRel: number): boolean {
  const k = 1 + jumpRel;
  return a <= b * k && b <= a * k;
}

/**
 * Normal of pixel (u, v) written to out[o..o+2]. Returns false (and writes nothing) when the pixel
 * has no depth or no continuous neighbour along u or along v: the surface direction is unknown.
 */
export function pixelNormal(g: NormalGrid, u: number, v: number, out: Float32Array | Float64Array, o: number): boolean {
  const { width, height, depth, ax, ay, jumpRel } = g;
  const i = v * width + u;
  const z = depth[i];
  if (!(z > 0)) return false;
  const k = 1 + jumpRel;
  // Neighbours that are valid and on the same surface.
  const zl = u > 0 ? depth[i - 1] : 0;
  const zr = u < width - 1 ? depth[i + 1] : 0;
  const zu = v > 0 ? depth[i - width] : 0;
  const zd = v < height - 1 ? depth[i + width] : 0;
  const okL = zl > 0 && zl <= z * k && z <= zl * k;
  const okR = zr > 0 && zr <= z * k && z <= zr * k;
  const okU = zu > 0 && zu <= z * k && z <= zu * k;
  const okD = zd > 0 && zd <= z * k && z <= zd * k;
  const x = ax[u];
  const y = ay[v];
  // d/du of the back-projected point: (ax·z, ay·z, z) at the two ends.
  let ux: number, uy: number, uz: number;
  if (okL && okR) {
    // Widen to ±2 px where those pixels continue the surface: halves the angular noise of quantised
    // sensor depth (a floor at 70° must not flicker past the grazing limit).
    const zl2 = u > 1 ? depth[i - 2] : 0,
      zr2 = u < width - 2 ? depth[i + 2] : 0;
    if (zl2 > 0 && zr2 > 0 && zl2 <= zl * k && zl <= zl2 * k && zr2 <= zr * k && zr <= zr2 * k) {
      ux = ax[u + 2] * zr2 - ax[u - 2] * zl2;
      uy = y * (zr2 - zl2);
      uz = zr2 - zl2;
    } else {
      ux = ax[u + 1] * zr - ax[u - 1] * zl;
      uy = y * (zr - zl);
      uz = zr - zl;
    }
  } else if (okR) {
    ux = ax[u + 1] * zr - x * z;
    uy = y * (zr - z);
    uz = zr - z;
  } else if (okL) {
    ux = x * z - ax[u - 1] * zl;
    uy = y * (z - zl);
    uz = z - zl;
  } else return false;
  let vx: number, vy: number, vz: number;
  if (okU && okD) {
    const zu2 = v > 1 ? depth[i - 2 * width] : 0,
      zd2 = v < height - 2 ? depth[i + 2 * width] : 0;
    if (zu2 > 0 && zd2 > 0 && zu2 <= zu * k && zu <= zu2 * k && zd2 <= zd * k && zd <= zd2 * k) {
      vx = x * (zd2 - zu2);
      vy = ay[v + 2] * zd2 - ay[v - 2] * zu2;
      vz = zd2 - zu2;
    } else {
      vx = x * (zd - zu);
      vy = ay[v + 1] * zd - ay[v - 1] * zu;
      vz = zd - zu;
    }
  } else if (okD) {
    vx = x * (zd - z);
    vy = ay[v + 1] * zd - y * z;
    vz = zd - z;
  } else if (okU) {
    vx = x * (z - zu);
    vy = y * z - ay[v - 1] * zu;
    vz = z - zu;
  } else return false;
  let nx = uy * vz - uz * vy;
  let ny = uz * vx - ux * vz;
  let nz = ux * vy - uy * vx;
  const len = Math.sqrt(nx * nx + ny * ny + nz * nz);
  if (!(len > 0)) return false;
  // Face the camera: the normal points against the ray (x, y, 1)·z.
  const s = nx * x + ny * y + nz > 0 ? -1 / len : 1 / len;
  nx *= s;
  ny *= s;
  nz *= s;
  out[o] = nx;
  out[o + 1] = ny;
  out[o + 2] = nz;
  return true;
}

export interface DepthNormalsOptions {
  /** relative depth jump that separates surfaces (default 0.05) */
  jumpRel?: number;
  /** depths beyond this are ignored (default ∞) */
  maxDepth?: number;
}

/**
 * Camera-space unit normals (width × height × 3, facing the camera) of a depth map;
 * (0, 0, 0) where the pixel has no depth or no continuous neighbour.
 */
export function depthNormals(
  depth: Float32Array,
  k: Intrinsics,
  width: number,
  height: number,
  opts: DepthNormalsOptions = {},
): Float32Array {
  return gridNormals(normalGrid(cleanDepth(depth, opts.maxDepth ?? Infinity), k, width, height, opts.jumpRel ?? 0.05));
}

/** Normals of every pixel of a grid (width × height × 3; zero where unknown). */
export function gridNormals(g: NormalGrid): Float32Array {
  const out = new Float32Array(g.width * g.height * 3);
  for (let v = 0; v < g.height; v++) {
    for (let u = 0; u < g.width; u++) pixelNormal(g, u, v, out, (v * g.width + u) * 3);
  }
  return out;
}
