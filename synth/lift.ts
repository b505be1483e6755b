/**
 * Lifting RGB-D frames to Gaussians: one flat surfel per kept pixel.
 *
 * - Back-projection follows core/camera.ts (pixel centre u + ½, z is camera z).
 * - Flying pixels: a pixel with a much nearer neighbour *and* a much farther one (the 8 neighbours at
 *   1 px and the 8 in the same directions at 2 px; relative jump |d − dn| / min(d, dn) > τ) straddles
 *   a discontinuity — the smear a sensor or a depth network leaves between foreground and background —
 *   and is dropped. The last foreground pixel (only farther neighbours) and the first background pixel
 *   (only nearer ones) are kept, so silhouettes stay crisp and the "curtain" between them disappears.
 * - Grazing pixels: angle between the normal and the view ray above `grazingDeg` (80°). A wide smooth
 *   ramp across an edge (depth networks) has small per-pixel jumps but is caught here. The price: real
 *   surfaces seen that obliquely go too (on the Open3D frames, 1.5 % of pixels, ≈ 0.9 dB at frame 4).
 * - Surfel: local z = normal; in-plane std-dev = footprintScale · z / f · stride, widened along the tilt
 *   direction by the footprint stretch (cos α / cos θ, clamped to 1..maxStretch), normal std-dev tiny.
 */
import type { Camera, DepthUnits, Intrinsics, RgbdFrame, Scene, Vec3 } from '../core/types.js';
import { toF64 } from '../core/camera.js';
import { VantageError } from '../core/errors.js';
import { LIFT_DEFAULTS } from './config.js';
import { cleanDepth, effectiveJumpRel, normalGrid, pixelNormal } from './normals.js';
import { fuseFrames, fusionNote, type FusionPolicy } from './fuse.js';
import { defaultPivot, detectUp, subsetScene } from './scene.js';
import { sceneBounds } from '../core/bounds.js';

export interface LiftOptions {
  /** relative depth jump that marks a discontinuity (default 0.05) */
  depthJumpRel?: number;
  /**
   * where the depth came from: 'measured' (a sensor, a ray cast, a given depth map) or 'estimated'
   * (a depth network, which smears edges). Sets the grazingDeg default. Default 'estimated'.
   */
  depth?: 'measured' | 'estimated';
  /** drop surfaces seen more obliquely than this, degrees between normal and ray (default 88 measured, 80 estimated; 90 = keep all) */
  grazingDeg?: number;
  /** in-plane std-dev in pixel spacings (default 0.5) */
  footprintScale?: number;
  /** keep every stride-th pixel in u and v (default 1); surfels grow by the same factor */
  stride?: number;
  /** ignore depths beyond this (default ∞) */
  maxDepth?: number;
  /** surfel opacity (default 0.7) */
  opacity?: number;
}

/** What happened to the sampled pixels (those on the stride grid). */
export interface LiftStats {
  /** pixels on the stride grid */
  sampled: number;
  /** no usable depth (0, NaN, ±∞, beyond maxDepth) */
  noDepth: number;
  /** dropped: straddling a depth discontinuity */
  flying: number;
  /** dropped: surface seen at a grazing angle */
  grazing: number;
  kept: number;
}

/** The Gaussians of one frame, plus where each came from. Arrays are exactly `count` long (× 3 / × 4). */
export interface LiftedPoints {
  count: number;
  positions: Float32Array;
  colors: Float32Array;
  scales: Float32Array;
  rotations: Float32Array;
  opacities: Float32Array;
  /** N × 3 world-space unit normals (facing the frame's camera) */
  normals: Float32Array;
  /** N source pixel indices (v · width + u) */
  pixelIndex: Int32Array;
  camera: Camera;
  width: number;
  height: number;
  units: DepthUnits;
  stats: LiftStats;
}

function checkFrame(frame: RgbdFrame, label: string): void {
  const { width, height } = frame;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new VantageError('bad-frame', `${label}: width and height must be positive integers, got ${width}×${height}`);
  }
  if (frame.rgb?.length !== width * height * 3) {
    throw new VantageError(
      'bad-frame',
      `${label}: rgb has ${frame.rgb?.length} bytes, expected ${width}×${height}×3 = ${width * height * 3}`,
      'rgb is 8-bit, row-major, 3 channels',
    );
  }
  if (frame.depth?.length !== width * height) {
    throw new VantageError(
      'bad-frame',
      `${label}: depth has ${frame.depth?.length} values, expected ${width}×${height} = ${width * height}`,
      'depth must have the same size as the colour image; resize one of them',
    );
  }
  const k = frame.intrinsics;
  if (!k || ![k.fx, k.fy, k.cx, k.cy].every(Number.isFinite) || !(k.fx > 0 && k.fy > 0)) {
    throw new VantageError(
      'bad-frame',
      `${label}: intrinsics need finite fx, fy > 0 and cx, cy`,
      'or leave them out to assume a 60° field of view',
    );
  }
  if (!frame.c2w || frame.c2w.length !== 16 || !Array.from(frame.c2w as ArrayLike<number>).every(Number.isFinite)) {
    throw new VantageError('bad-frame', `${label}: c2w must be 16 finite numbers (column-major camera-to-world)`);
  }
}

function checkOptions(o: Required<LiftOptions>): void {
  const bad = (name: string, want: string) => {
    throw new VantageError('bad-option', `lift option ${name} must be ${want}`);
  };
  if (o.depth !== 'measured' && o.depth !== 'estimated') bad('depth', "'measured' or 'estimated'");
  if (!(o.depthJumpRel > 0)) bad('depthJumpRel', 'a positive number (e.g. 0.05)');
  if (!(o.grazingDeg > 0 && o.grazingDeg <= 90)) bad('grazingDeg', 'in (0, 90] degrees');
  if (!(o.footprintScale > 0 && Number.isFinite(o.footprintScale)))
    bad('footprintScale', 'a positive number (e.g. 0.5)');
  if (!(Number.isInteger(o.stride) && o.stride >= 1)) bad('stride', 'an integer ≥ 1');
  if (!(o.maxDepth > 0)) bad('maxDepth', 'a positive number');
  if (!(o.opacity > 0 && o.opacity <= 1)) bad('opacity', 'in (0, 1]');
}

function resolveOptions(opts: LiftOptions): Required<LiftOptions> {
  const depth = opts.depth ?? 'estimated';
  const o: Required<LiftOptions> = {
    depth,
    depthJumpRel: opts.depthJumpRel ?? LIFT_DEFAULTS.depthJumpRel,
    grazingDeg: opts.grazingDeg ?? (depth === 'measured' ? LIFT_DEFAULTS.grazingDegMeasured : LIFT_DEFAULTS.grazingDeg),
    footprintScale: opts.footprintScale ?? LIFT_DEFAULTS.footprintScale,
    stride: opts.stride ?? LIFT_DEFAULTS.stride,
    maxDepth: opts.maxDepth ?? LIFT_DEFAULTS.maxDepth,
    opacity: opts.opacity ?? LIFT_DEFAULTS.opacity,
  };
  checkOptions(o);
  return o;
}

/** True when some depth is +∞ or beyond maxDepth (what cleanDepth would zero besides ≤ 0 and NaN). */
function hasDepthBeyond(depth: Float32Array, maxDepth: number): boolean {
  for (let i = 0; i < depth.length; i++) {
    const z = depth[i];
    if (z > maxDepth || z === Infinity) return true;
  }
  return false;
}

const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** Lift one RGB-D frame to world-space surfels (see the module comment for the rules). */
export function liftFrame(frame: RgbdFrame, opts: LiftOptions = {}): LiftedPoints {
  return liftPoints(frame, opts, true);
}

/** Bounds of the stored (float32) positions, as sceneBounds would find them. */
interface Box {
  x0: number;
  y0: number;
  z0: number;
  x1: number;
  y1: number;
  z1: number;
}

/**
 * liftFrame, or (withSources false) what liftToScene needs: no `normals` and `pixelIndex` (empty:
 * freshly touched memory costs more than the arithmetic that fills it) but the positions' bounds,
 * taken in the same pass instead of another one over the points.
 */
function liftPoints(frame: RgbdFrame, opts: LiftOptions, withSources: boolean): LiftedPoints & { box?: Box } {
  checkFrame(frame, frame.source ?? 'frame');
  const o = resolveOptions(opts);
  const { width, height, rgb } = frame;
  const k: Intrinsics = frame.intrinsics;
  // Every test below reads a depth through `> 0` comparisons, which already treat 0, negatives and NaN
  // as "no depth"; only +∞ and depths beyond maxDepth need zeroing, and most frames have none (a copy
  // of the image is a megabyte of fresh pages, which cost more than the rest of a pass here).
  const depth = hasDepthBeyond(frame.depth, o.maxDepth) ? cleanDepth(frame.depth, o.maxDepth) : frame.depth;
  const jumpRel = effectiveJumpRel(o.depthJumpRel, o.grazingDeg, k);
  const grid = normalGrid(depth, k, width, height, jumpRel);
  const { ax, ay } = grid;
  const jk = 1 + jumpRel;
  const jk2 = 1 + effectiveJumpRel(o.depthJumpRel, o.grazingDeg, k, 2);
  const cosGrazing = o.grazingDeg >= 90 ? -1 : Math.cos((o.grazingDeg * Math.PI) / 180);
  const cosPlanar = Math.cos((Math.max(o.grazingDeg, LIFT_DEFAULTS.planarGrazingDeg) * Math.PI) / 180);
  const s = o.stride;
  // σ per unit depth: footprintScale pixel spacings of the stride grid, at the mean focal length.
  const sigmaPerZ = (o.footprintScale * s * 2) / (k.fx + k.fy);
  const maxStretch = LIFT_DEFAULTS.maxStretch;
  const normalRatio = LIFT_DEFAULTS.normalScaleRatio;

  const m = toF64(frame.c2w);
  const r00 = m[0],
    r10 = m[1],
    r20 = m[2],
    r01 = m[4],
    r11 = m[5],
    r21 = m[6],
    r02 = m[8],
    r12 = m[9],
    r22 = m[10];
  const t0 = m[12],
    t1 = m[13],
    t2 = m[14];

  const cols = Math.ceil(width / s);
  const rows = Math.ceil(height / s);
  const cap = cols * rows;
  const positions = new Float32Array(cap * 3);
  const colors = new Float32Array(cap * 3);
  const scales = new Float32Array(cap * 3);
  const rotations = new Float32Array(cap * 4);
  const normals = new Float32Array(withSources ? cap * 3 : 0);
  const pixelIndex = new Int32Array(withSources ? cap : 0);
  // One pass: the straddle test and the normal run only on sampled pixels with depth, and no per-pixel
  // image (flags, normals) is allocated. Normals are rounded to float32 as gridNormals stores them.
  const nrm = new Float32Array(3);
  let n = 0,
    noDepth = 0,
    flying = 0,
    grazing = 0;
  let x0 = Infinity,
    y0 = Infinity,
    z0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity,
    z1 = -Infinity;

  const w = width,
    w2 = 2 * width,
    uEnd = width - 2;
  for (let v = 0; v < height; v += s) {
    const y = ay[v];
    const rowInterior = v > 1 && v < height - 2;
    for (let u = 0; u < width; u += s) {
      const i = v * width + u;
      const z = depth[i];
      if (!(z > 0)) {
        noDepth++;
        continue;
      }
      const x = ax[u];
      // Normal (camera space); with no continuous neighbour on an axis, assume it faces the camera.
      let nx = 0,
        ny = 0,
        nz = 0,
        hasNormal = false,
        planar = false; // a steep plane the straddle test would have taken for an edge
      if (rowInterior && u > 1 && u < uEnd) {
        // Interior (all 2-px neighbours exist): straddlesEdge and pixelNormal written out without
        // bounds checks, with the same arithmetic, so the results are bit-identical.
        const lo1 = z / jk,
          hi1 = z * jk;
        let a = depth[i - w - 1],
          b = depth[i - w],
          c = depth[i - w + 1],
          d = depth[i - 1];
        let e = depth[i + 1],
          f = depth[i + w - 1],
          g = depth[i + w],
          h = depth[i + w + 1];
        let far = a > hi1 || b > hi1 || c > hi1 || d > hi1 || e > hi1 || f > hi1 || g > hi1 || h > hi1;
        let near =
          (a > 0 && a < lo1) ||
          (b > 0 && b < lo1) ||
          (c > 0 && c < lo1) ||
          (d > 0 && d < lo1) ||
          (e > 0 && e < lo1) ||
          (f > 0 && f < lo1) ||
          (g > 0 && g < lo1) ||
          (h > 0 && h < lo1);
        if (near && far) {
          if (!onPlane(depth, width, height, u, v)) {
            flying++;
            continue;
          }
          planar = true;
        }
        const zl = d,
          zr = e,
          zu = b,
          zd = g; // the 4-neighbours, for the normal
        const lo2 = z / jk2,
          hi2 = z * jk2;
        a = depth[i - w2 - 2];
        b = depth[i - w2];
        c = depth[i - w2 + 2];
        d = depth[i - 2];
        e = depth[i + 2];
        f = depth[i + w2 - 2];
        g = depth[i + w2];
        h = depth[i + w2 + 2];
        far = far || a > hi2 || b > hi2 || c > hi2 || d > hi2 || e > hi2 || f > hi2 || g > hi2 || h > hi2;
        if (far) {
          near =
            near ||
            (a > 0 && a < lo2) ||
            (b > 0 && b < lo2) ||
            (c > 0 && c < lo2) ||
            (d > 0 && d < lo2) ||
            (e > 0 && e < lo2) ||
            (f > 0 && f < lo2) ||
            (g > 0 && g < lo2) ||
            (h > 0 && h < lo2);
          if (near && !planar) {
            if (!onPlane(depth, width, height, u, v)) {
              flying++;
              continue;
            }
            planar = true;
          }
        }
        const zl2 = d,
          zr2 = e,
          zu2 = b,
          zd2 = g;
        const zk = z * jk;
        const okL = zl > 0 && zl <= zk && z <= zl * jk;
        const okR = zr > 0 && zr <= zk && z <= zr * jk;
        const okU = zu > 0 && zu <= zk && z <= zu * jk;
        const okD = zd > 0 && zd <= zk && z <= zd * jk;
        if ((okL || okR) && (okU || okD)) {
          let ux: number, uy: number, uz: number, vx: number, vy: number, vz: number;
          if (okL && okR) {
            if (zl2 > 0 && zr2 > 0 && zl2 <= zl * jk && zl <= zl2 * jk && zr2 <= zr * jk && zr <= zr2 * jk) {
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
          } else {
            ux = x * z - ax[u - 1] * zl;
            uy = y * (z - zl);
            uz = z - zl;
          }
          if (okU && okD) {
            if (zu2 > 0 && zd2 > 0 && zu2 <= zu * jk && zu <= zu2 * jk && zd2 <= zd * jk && zd <= zd2 * jk) {
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
          } else {
            vx = x * (z - zu);
            vy = y * z - ay[v - 1] * zu;
            vz = z - zu;
          }
          const cx = uy * vz - uz * vy,
            cy = uz * vx - ux * vz,
            cz = ux * vy - uy * vx;
          const len = Math.sqrt(cx * cx + cy * cy + cz * cz);
          if (len > 0) {
            const sg = cx * x + cy * y + cz > 0 ? -1 / len : 1 / len;
            // float32, as pixelNormal stores it
            nx = Math.fround(cx * sg);
            ny = Math.fround(cy * sg);
            nz = Math.fround(cz * sg);
            hasNormal = true;
          }
        }
      } else {
        if (straddlesEdge(depth, width, height, u, v, jk, jk2)) {
          if (!onPlane(depth, width, height, u, v)) {
            flying++;
            continue;
          }
          planar = true;
        }
        if (pixelNormal(grid, u, v, nrm, 0)) {
          nx = nrm[0];
          ny = nrm[1];
          nz = nrm[2];
          hasNormal = true;
        }
      }
      if (!hasNormal && planar && planeNormal(depth, ax, ay, width, u, v, nrm)) {
        nx = nrm[0];
        ny = nrm[1];
        nz = nrm[2];
        hasNormal = true;
      }
      if (!hasNormal) {
        const il = 1 / Math.sqrt(x * x + y * y + 1);
        nx = -x * il;
        ny = -y * il;
        nz = -il;
      }
      // Ray (x, y, 1)·z; cos θ = |r̂·n|.
      const rn = x * nx + y * ny + nz; // (ray / z) · n
      const rlen = Math.sqrt(x * x + y * y + 1);
      const cosT = Math.abs(rn) / rlen;
      if (cosT < cosGrazing && !(cosT >= cosPlanar && (planar || onPlane(depth, width, height, u, v)))) {
        grazing++;
        continue;
      }

      // Tangent along the tilt: the ray projected into the surface plane.
      let tx = x - rn * nx,
        ty = y - rn * ny,
        tz = 1 - rn * nz;
      let tl = Math.sqrt(tx * tx + ty * ty + tz * tz);
      if (tl < 1e-6) {
        // looking straight along the normal: any in-plane axis will do
        tx = 1 - nx * nx;
        ty = -nx * ny;
        tz = -nx * nz;
        tl = Math.sqrt(tx * tx + ty * ty + tz * tz);
      }
      const itl = 1 / tl;
      tx *= itl;
      ty *= itl;
      tz *= itl;
      // b = n × t completes a right-handed frame (t, b, n).
      const bx = ny * tz - nz * ty,
        by = nz * tx - nx * tz,
        bz = nx * ty - ny * tx;

      // Footprint: fronto-parallel σ, stretched along t by cos α / cos θ = 1 / |r·n| with r = (x, y, 1).
      const sigma = sigmaPerZ * z;
      const stretch = Math.min(maxStretch, Math.max(1, 1 / Math.abs(rn)));
      const j3 = n * 3,
        j4 = n * 4;
      scales[j3] = sigma * stretch;
      scales[j3 + 1] = sigma;
      scales[j3 + 2] = sigma * normalRatio;

      // World position and normal.
      const px = x * z,
        py = y * z;
      const wx = r00 * px + r01 * py + r02 * z + t0,
        wy = r10 * px + r11 * py + r12 * z + t1,
        wz = r20 * px + r21 * py + r22 * z + t2;
      positions[j3] = wx;
      positions[j3 + 1] = wy;
      positions[j3 + 2] = wz;
      const wnx = r00 * nx + r01 * ny + r02 * nz,
        wny = r10 * nx + r11 * ny + r12 * nz,
        wnz = r20 * nx + r21 * ny + r22 * nz;
      if (withSources) {
        normals[j3] = wnx;
        normals[j3 + 1] = wny;
        normals[j3 + 2] = wnz;
      } else {
        const fx = Math.fround(wx),
          fy = Math.fround(wy),
          fz = Math.fround(wz);
        if (fx < x0) x0 = fx;
        if (fx > x1) x1 = fx;
        if (fy < y0) y0 = fy;
        if (fy > y1) y1 = fy;
        if (fz < z0) z0 = fz;
        if (fz > z1) z1 = fz;
      }

      // World rotation with columns (t, b, n) → quaternion (w, x, y, z).
      const m00 = r00 * tx + r01 * ty + r02 * tz,
        m10 = r10 * tx + r11 * ty + r12 * tz,
        m20 = r20 * tx + r21 * ty + r22 * tz;
      const m01 = r00 * bx + r01 * by + r02 * bz,
        m11 = r10 * bx + r11 * by + r12 * bz,
        m21 = r20 * bx + r21 * by + r22 * bz;
      {
        // Shepperd's method, w ≥ 0 (inline: this loop is the hot path).
        const m02 = wnx,
          m12 = wny,
          m22 = wnz;
        let qw: number, qx: number, qy: number, qz: number;
        const tr = m00 + m11 + m22;
        if (tr > 0) {
          const f = 0.5 / Math.sqrt(tr + 1);
          qw = 0.25 / f;
          qx = (m21 - m12) * f;
          qy = (m02 - m20) * f;
          qz = (m10 - m01) * f;
        } else if (m00 > m11 && m00 > m22) {
          const f = 2 * Math.sqrt(1 + m00 - m11 - m22),
            r = 1 / f;
          qw = (m21 - m12) * r;
          qx = 0.25 * f;
          qy = (m01 + m10) * r;
          qz = (m02 + m20) * r;
        } else if (m11 > m22) {
          const f = 2 * Math.sqrt(1 + m11 - m00 - m22),
            r = 1 / f;
          qw = (m02 - m20) * r;
          qx = (m01 + m10) * r;
          qy = 0.25 * f;
          qz = (m12 + m21) * r;
        } else {
          const f = 2 * Math.sqrt(1 + m22 - m00 - m11),
            r = 1 / f;
          qw = (m10 - m01) * r;
          qx = (m02 + m20) * r;
          qy = (m12 + m21) * r;
          qz = 0.25 * f;
        }
        const ql = (qw < 0 ? -1 : 1) / Math.sqrt(qw * qw + qx * qx + qy * qy + qz * qz);
        rotations[j4] = qw * ql;
        rotations[j4 + 1] = qx * ql;
        rotations[j4 + 2] = qy * ql;
        rotations[j4 + 3] = qz * ql;
      }

      const c = i * 3;
      colors[j3] = BYTE_TO_UNIT[rgb[c]];
      colors[j3 + 1] = BYTE_TO_UNIT[rgb[c + 1]];
      colors[j3 + 2] = BYTE_TO_UNIT[rgb[c + 2]];
      if (withSources) pixelIndex[n] = i;
      n++;
    }
  }

  // Trim to `count`: a view when little would be saved (no copy, no garbage), a copy otherwise.
  const fit = <T extends Float32Array | Int32Array>(a: T, per: number): T =>
    (n < 0.75 * cap ? a.slice(0, n * per) : a.subarray(0, n * per)) as T;
  const lifted: LiftedPoints & { box?: Box } = {
    count: n,
    positions: fit(positions, 3),
    colors: fit(colors, 3),
    scales: fit(scales, 3),
    rotations: fit(rotations, 4),
    opacities: new Float32Array(n).fill(o.opacity),
    normals: withSources ? fit(normals, 3) : normals,
    pixelIndex: withSources ? fit(pixelIndex, 1) : pixelIndex,
    camera: { intrinsics: { ...k, width, height }, c2w: m },
    width,
    height,
    units: frame.units,
    stats: { sampled: cols * rows, noDepth, flying, grazing, kept: n },
  };
  if (!withSources) lifted.box = { x0, y0, z0, x1, y1, z1 };
  return lifted;
}

/**
 * True when the depth around (u, v) is a plane: 1/z is linear in pixel coordinates on a plane, so its
 * second differences at ±2 and ±4 px along u and along v vanish (within LIFT_DEFAULTS.planarTolRel of
 * 1/z). A real face seen obliquely passes; a smear between foreground and background (a depth ramp a
 * few pixels wide that ends on flat surfaces) does not, nor does a surface too narrow to tell.
 */
export function onPlane(depth: Float32Array, width: number, height: number, u: number, v: number): boolean {
  const z = depth[v * width + u];
  const tol = LIFT_DEFAULTS.planarTolRel / z;
  for (const r of [2, 4]) {
    if (u < r || v < r || u >= width - r || v >= height - r) return false;
    const l = depth[v * width + u - r],
      rr = depth[v * width + u + r],
      t = depth[(v - r) * width + u],
      b = depth[(v + r) * width + u];
    if (!(l > 0 && rr > 0 && t > 0 && b > 0)) return false;
    if (Math.abs(1 / l + 1 / rr - 2 / z) > tol || Math.abs(1 / t + 1 / b - 2 / z) > tol) return false;
  }
  return true;
}

/** Camera-space unit normal (facing the camera) of the plane through the pixels at ±2 px (onPlane held). */
function planeNormal(
  depth: Float32Array,
  ax: Float64Array,
  ay: Float64Array,
  width: number,
  u: number,
  v: number,
  out: Float32Array,
): boolean {
  const zl = depth[v * width + u - 2],
    zr = depth[v * width + u + 2],
    zu = depth[(v - 2) * width + u],
    zd = depth[(v + 2) * width + u];
  const ux = ax[u + 2] * zr - ax[u - 2] * zl,
    uy = ay[v] * (zr - zl),
    uz = zr - zl;
  const vx = ax[u] * (zd - zu),
    vy = ay[v + 2] * zd - ay[v - 2] * zu,
    vz = zd - zu;
  const cx = uy * vz - uz * vy,
    cy = uz * vx - ux * vz,
    cz = ux * vy - uy * vx;
  const len = Math.sqrt(cx * cx + cy * cy + cz * cz);
  if (!(len > 0)) return false;
  const sg = cx * ax[u] + cy * ay[v] + cz > 0 ? -1 / len : 1 / len;
  out[0] = cx * sg;
  out[1] = cy * sg;
  out[2] = cz * sg;
  return true;
}

/** The straddle test's neighbours: the 8 at 1 px, then the 8 in the same directions at 2 px. */
const RING_DU = [-1, 0, 1, -1, 1, -1, 0, 1, -2, 0, 2, -2, 2, -2, 0, 2];
const RING_DV = [-1, -1, -1, 0, 0, 1, 1, 1, -2, -2, -2, 0, 0, 2, 2, 2];

/**
 * True when pixel (u, v) (depth > 0) straddles a depth discontinuity: among the 8 neighbours at 1 px
 * and the 8 in the same directions at 2 px, one is nearer by more than the jump factor (jk1 at 1 px,
 * jk2 at 2 px) and one farther (neighbours without depth are ignored). The 2 px ring catches the wider
 * ramps a depth network draws across an edge, whose per-pixel steps stay below the threshold.
 */
function straddlesEdge(
  depth: Float32Array,
  width: number,
  height: number,
  u: number,
  v: number,
  jk1: number,
  jk2: number,
): boolean {
  const i = v * width + u;
  const z = depth[i];
  const lo1 = z / jk1,
    hi1 = z * jk1;
  if (v > 1 && v < height - 2 && u > 1 && u < width - 2) {
    // Interior: 16 reads, unrolled. Missing depth is 0, which must not count as "nearer".
    const w = width,
      w2 = 2 * width;
    let a = depth[i - w - 1],
      b = depth[i - w],
      c = depth[i - w + 1],
      d = depth[i - 1];
    let e = depth[i + 1],
      f = depth[i + w - 1],
      g = depth[i + w],
      h = depth[i + w + 1];
    let far = a > hi1 || b > hi1 || c > hi1 || d > hi1 || e > hi1 || f > hi1 || g > hi1 || h > hi1;
    const near =
      (a > 0 && a < lo1) ||
      (b > 0 && b < lo1) ||
      (c > 0 && c < lo1) ||
      (d > 0 && d < lo1) ||
      (e > 0 && e < lo1) ||
      (f > 0 && f < lo1) ||
      (g > 0 && g < lo1) ||
      (h > 0 && h < lo1);
    if (near && far) return true;
    const lo2 = z / jk2,
      hi2 = z * jk2;
    a = depth[i - w2 - 2];
    b = depth[i - w2];
    c = depth[i - w2 + 2];
    d = depth[i - 2];
    e = depth[i + 2];
    f = depth[i + w2 - 2];
    g = depth[i + w2];
    h = depth[i + w2 + 2];
    far = far || a > hi2 || b > hi2 || c > hi2 || d > hi2 || e > hi2 || f > hi2 || g > hi2 || h > hi2;
    if (!far) return false;
    return (
      near ||
      (a > 0 && a < lo2) ||
      (b > 0 && b < lo2) ||
      (c > 0 && c < lo2) ||
      (d > 0 && d < lo2) ||
      (e > 0 && e < lo2) ||
      (f > 0 && f < lo2) ||
      (g > 0 && g < lo2) ||
      (h > 0 && h < lo2)
    );
  }
  const lo2 = z / jk2,
    hi2 = z * jk2;
  let near = false,
    far = false;
  for (let k = 0; k < 16; k++) {
    const uu = u + RING_DU[k],
      vv = v + RING_DV[k];
    if (uu < 0 || vv < 0 || uu >= width || vv >= height) continue;
    const zn = depth[vv * width + uu];
    if (!(zn > 0)) continue;
    if (zn < (k < 8 ? lo1 : lo2)) near = true;
    else if (zn > (k < 8 ? hi1 : hi2)) far = true;
  }
  return near && far;
}

export interface LiftSceneOptions extends LiftOptions {
  /** keep one Gaussian per voxel of this edge (scene units); earlier frames win. Default: no de-duplication */
  voxelSize?: number;
  /** level "up" by a dominant floor plane (default true); false keeps the reference camera's −y */
  detectUp?: boolean;
  /** how several frames' surfels combine (synth/fuse.ts): 'merge' (default) or 'stack' */
  fusion?: FusionPolicy;
  /** with 'merge': align each frame's exposure / colour gain to frame 0's (default false) */
  exposure?: boolean;
}

/** Indices of the first point in each voxel of edge `size` (cells counted from the bounds' minimum). */
function voxelKeep(positions: Float32Array, count: number, size: number): Int32Array {
  const { min, max } = sceneBounds(positions.subarray(0, count * 3));
  const nx = Math.floor((max[0] - min[0]) / size) + 1,
    ny = Math.floor((max[1] - min[1]) / size) + 1;
  const nz = Math.floor((max[2] - min[2]) / size) + 1;
  if (!(nx * ny * nz < Number.MAX_SAFE_INTEGER)) {
    throw new VantageError(
      'bad-option',
      `voxelSize ${size} is too small for a scene ${(max[0] - min[0]).toFixed(1)} × ${(max[1] - min[1]).toFixed(1)} × ${(max[2] - min[2]).toFixed(1)} across`,
      'use a larger voxel, e.g. 1/1000 of the scene size',
    );
  }
  const seen = new Set<number>();
  const keep = new Int32Array(count);
  let n = 0;
  for (let i = 0; i < count; i++) {
    const ix = Math.floor((positions[i * 3] - min[0]) / size);
    const iy = Math.floor((positions[i * 3 + 1] - min[1]) / size);
    const iz = Math.floor((positions[i * 3 + 2] - min[2]) / size);
    const key = (ix * ny + iy) * nz + iz;
    if (seen.has(key)) continue;
    seen.add(key);
    keep[n++] = i;
  }
  return keep.slice(0, n);
}

/** sceneBounds of the frames' points concatenated, from the frames' own bounds (zero when there are none). */
function boundsOfBoxes(boxes: Box[], total: number): { min: Vec3; max: Vec3 } {
  if (total === 0) return { min: [0, 0, 0], max: [0, 0, 0] };
  let x0 = Infinity,
    y0 = Infinity,
    z0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity,
    z1 = -Infinity;
  for (const b of boxes) {
    if (b.x0 < x0) x0 = b.x0;
    if (b.x1 > x1) x1 = b.x1;
    if (b.y0 < y0) y0 = b.y0;
    if (b.y1 > y1) y1 = b.y1;
    if (b.z0 < z0) z0 = b.z0;
    if (b.z1 > z1) z1 = b.z1;
  }
  return { min: [x0, y0, z0], max: [x1, y1, z1] };
}

/**
 * Lift frames (frame 0 is the reference camera; every c2w is in its frame) and fuse them into one
 * Scene: concatenation, optional voxel de-duplication, floor-levelled up, default pivot, notes.
 */
export function liftToScene(frames: RgbdFrame[], opts: LiftSceneOptions = {}): Scene {
  if (!Array.isArray(frames) || frames.length === 0) {
    throw new VantageError('no-frames', 'liftToScene needs at least one RGB-D frame', 'pass the reference frame first');
  }
  const units = frames[0].units;
  const mixed = frames.findIndex((f) => f.units !== units);
  if (mixed >= 0) {
    throw new VantageError(
      'mixed-units',
      `frame ${mixed} has depth in ${frames[mixed].units} but frame 0 in ${units}`,
      'fuse frames only when their depths share units (metric frames, or one relative frame)',
    );
  }
  if (opts.voxelSize !== undefined && !(opts.voxelSize > 0)) {
    throw new VantageError('bad-option', `voxelSize must be a positive length, got ${opts.voxelSize}`);
  }
  // One frame: its arrays are the scene's; several: fused (synth/fuse.ts), which needs each surfel's pixel.
  const several = frames.length > 1;
  const lifted = frames.map((f, i) => liftPoints({ ...f, source: f.source ?? `frame ${i}` }, opts, several));
  const fused = fuseFrames(frames, lifted, { policy: opts.fusion, exposure: opts.exposure });
  const { positions, colors, scales, rotations, opacities } = fused;
  const total = fused.count;
  const reference = lifted[0].camera;
  const notes: string[] = [];
  const sum = (f: (s: LiftStats) => number) => lifted.reduce((a, l) => a + f(l.stats), 0);
  notes.push(`lifted ${frames.length} frame${several ? 's' : ''} to ${total} Gaussians`);
  if (several) notes.push(fusionNote(fused.stats));
  if (sum((s) => s.flying)) notes.push(`${sum((s) => s.flying)} flying pixels dropped at depth edges`);
  if (sum((s) => s.grazing)) notes.push(`${sum((s) => s.grazing)} grazing-angle pixels dropped`);
  if (sum((s) => s.noDepth)) notes.push(`${sum((s) => s.noDepth)} pixels had no depth`);
  if (units === 'relative') notes.push('depth is relative: distances are in depth units, not metres');

  let scene: Scene = {
    count: total,
    positions,
    colors,
    scales,
    rotations,
    opacities,
    units,
    reference,
    up: [0, -1, 0],
    pivot: [0, 0, 1],
    bounds: { min: [0, 0, 0], max: [0, 0, 0] },
    notes,
  };
  if (opts.voxelSize !== undefined) {
    const keep = voxelKeep(positions, total, opts.voxelSize);
    scene = subsetScene(scene, keep);
    scene.notes.push(
      `voxel de-duplication (${opts.voxelSize} ${units === 'metres' ? 'm' : 'units'}): ${total - keep.length} duplicates removed`,
    );
  }
  scene.bounds =
    opts.voxelSize === undefined && !several
      ? boundsOfBoxes(
          lifted.map((l) => l.box!),
          total,
        )
      : sceneBounds(scene.positions);
  if (opts.detectUp !== false) {
    const est = detectUp(scene.positions, reference);
    scene.up = est.up;
    scene.notes.push(est.note);
  } else {
    scene.notes.push('up = reference camera −y (floor detection off)');
  }
  scene.pivot = defaultPivot(scene, reference);
  return scene;
}
