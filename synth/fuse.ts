/**
 * Fusing the surfels of several lifted RGB-D frames with KNOWN poses into one set of Gaussians.
 *
 * `stack` concatenates every frame's surfels. Where frames overlap, each surface then carries one
 * surfel per frame at slightly different depths (sensor noise) with colours from different views, and
 * the renderer composites whichever happens to be in front: the fused picture is noisier than any
 * one frame's.
 *
 * `merge` keeps one surfel per surface:
 * 1. Ownership: frames are taken in order; a surfel of frame j is dropped when an earlier frame's
 *    surfel already covers the same surface — it projects onto a pixel of that frame which kept a surfel
 *    at a consistent depth (|Δz| ≤ depthTolRel · z). Only surface no earlier frame kept (disocclusions,
 *    the image border, pixels an earlier frame dropped at an edge) adds surfels, so coverage still grows.
 * 2. Colour: every surfel's colour is the weighted mean of what each frame that sees it saw there
 *    (sampled where the surfel projects, visibility by the same depth test), each frame weighted by the
 *    pixels it spends per unit of that surface, (f / z)² · cos θ, times its depth confidence (pixels
 *    near a depth discontinuity get less), so close, frontal, clean views dominate.
 *    With `exposure`, each frame's per-channel gain against frame 0 is estimated over the surfels both
 *    see and divided out first.
 */
import type { RgbdFrame } from '../core/types.js';
import { invertPose, toF64 } from '../core/camera.js';
import { FUSION_DEFAULTS } from './config.js';

export type FusionPolicy = 'stack' | 'merge';

/** One frame's surfels as synth/lift.ts liftFrame returns them (its FrameSurfels): what fusion reads. */
export interface FrameSurfels {
  count: number;
  positions: Float32Array;
  colors: Float32Array;
  scales: Float32Array;
  rotations: Float32Array;
  opacities: Float32Array;
  /** N × 3 world-space normals; only 'merge' reads them */
  normals: Float32Array;
  /** N source pixel indices (v · width + u); only 'merge' reads them */
  pixelIndex: Int32Array;
}

export interface FuseOptions {
  /** default 'merge' */
  policy?: FusionPolicy;
  /** relative depth difference under which two frames see the same surface (default FUSION_DEFAULTS) */
  depthTolRel?: number;
  /** estimate and remove per-frame exposure / colour gain against frame 0 (default false) */
  exposure?: boolean;
}

/** Surfels in the layout of FrameSurfels (count, positions, colors, scales, rotations, opacities). */
export interface FusedSurfels {
  count: number;
  positions: Float32Array;
  colors: Float32Array;
  scales: Float32Array;
  rotations: Float32Array;
  opacities: Float32Array;
  /** what the fusion did, for notes and traces */
  stats: FusionStats;
}

export interface FusionStats {
  policy: FusionPolicy;
  /** surfels each frame contributed (after dropping those an earlier frame already had) */
  perFrame: number[];
  /** surfels dropped as already covered by an earlier frame */
  merged: number;
  /** per-frame RGB gains divided out (1 when exposure alignment is off) */
  gains: [number, number, number][];
}

interface FrameView {
  w2c: Float64Array;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
  depth: Float32Array;
  rgb: Uint8Array;
  /** per pixel: 1 + index of the fused surfel this frame's pixel became (0: none) */
  owner: Int32Array;
  /** per pixel: depth confidence 0..1 (low near discontinuities) */
  confidence: Float32Array;
}

/** Depth confidence: 1 − (largest relative jump to a 4-neighbour) / edgeRel, clamped to [minConf, 1]. */
function depthConfidence(depth: Float32Array, width: number, height: number): Float32Array {
  const { edgeRel, minConfidence } = FUSION_DEFAULTS;
  const out = new Float32Array(width * height);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const i = v * width + u;
      const z = depth[i];
      if (!(z > 0)) continue;
      let jump = 0;
      const check = (j: number) => {
        const zn = depth[j];
        const r = zn > 0 ? Math.abs(zn - z) / Math.min(zn, z) : edgeRel;
        if (r > jump) jump = r;
      };
      if (u > 0) check(i - 1);
      if (u < width - 1) check(i + 1);
      if (v > 0) check(i - width);
      if (v < height - 1) check(i + width);
      out[i] = Math.max(minConfidence, 1 - jump / edgeRel);
    }
  }
  return out;
}

function frameView(frame: RgbdFrame, lifted: FrameSurfels, base: number, keep: Uint8Array | null): FrameView {
  const owner = new Int32Array(frame.width * frame.height);
  let n = base;
  for (let s = 0; s < lifted.count; s++) {
    if (keep && !keep[s]) continue;
    owner[lifted.pixelIndex[s]] = ++n;
  }
  const k = frame.intrinsics;
  return {
    w2c: invertPose(toF64(frame.c2w)),
    fx: k.fx,
    fy: k.fy,
    cx: k.cx,
    cy: k.cy,
    width: frame.width,
    height: frame.height,
    depth: frame.depth,
    rgb: frame.rgb,
    owner,
    confidence: depthConfidence(frame.depth, frame.width, frame.height),
  };
}

/**
 * Where world point (x, y, z) lands in frame f: continuous pixel coordinates and camera z, or null when
 * behind it or outside the image.
 */
function project(f: FrameView, x: number, y: number, z: number, out: Float64Array): boolean {
  const m = f.w2c;
  const cz = m[2] * x + m[6] * y + m[10] * z + m[14];
  if (!(cz > 0)) return false;
  const cx = m[0] * x + m[4] * y + m[8] * z + m[12];
  const cy = m[1] * x + m[5] * y + m[9] * z + m[13];
  const px = (f.fx * cx) / cz + f.cx;
  const py = (f.fy * cy) / cz + f.cy;
  if (!(px >= 0 && py >= 0 && px < f.width && py < f.height)) return false;
  out[0] = px;
  out[1] = py;
  out[2] = cz;
  out[3] = cx;
  out[4] = cy;
  return true;
}

/** Fuse lifted frames (frame 0 first; `lifted[i]` from liftFrame(frames[i])) into one set of surfels. */
export function fuseFrames(frames: RgbdFrame[], lifted: FrameSurfels[], opts: FuseOptions = {}): FusedSurfels {
  const policy = opts.policy ?? 'merge';
  const tol = opts.depthTolRel ?? FUSION_DEFAULTS.depthTolRel;
  if (policy === 'stack' || lifted.length === 1) return stack(lifted, policy);

  // 1. Ownership.
  const views: FrameView[] = [];
  const keeps: Uint8Array[] = [];
  const perFrame: number[] = [];
  const pr = new Float64Array(5);
  let total = 0,
    merged = 0;
  for (let j = 0; j < lifted.length; j++) {
    const l = lifted[j];
    const keep = new Uint8Array(l.count);
    let kept = 0;
    for (let s = 0; s < l.count; s++) {
      const x = l.positions[3 * s],
        y = l.positions[3 * s + 1],
        z = l.positions[3 * s + 2];
      let seen = false;
      for (let i = 0; i < j && !seen; i++) {
        const f = views[i];
        if (!project(f, x, y, z, pr)) continue;
        const p = Math.floor(pr[1]) * f.width + Math.floor(pr[0]);
        const d = f.depth[p];
        seen = f.owner[p] > 0 && Math.abs(d - pr[2]) <= tol * pr[2];
      }
      if (seen) merged++;
      else {
        keep[s] = 1;
        kept++;
      }
    }
    views.push(frameView(frames[j], l, total, keep));
    keeps.push(keep);
    perFrame.push(kept);
    total += kept;
  }

  // Gather the kept surfels.
  const positions = new Float32Array(total * 3);
  const colors = new Float32Array(total * 3);
  const scales = new Float32Array(total * 3);
  const rotations = new Float32Array(total * 4);
  const opacities = new Float32Array(total);
  const normals = new Float32Array(total * 3);
  let n = 0;
  for (let j = 0; j < lifted.length; j++) {
    const l = lifted[j];
    const keep = keeps[j];
    for (let s = 0; s < l.count; s++) {
      if (!keep[s]) continue;
      for (let c = 0; c < 3; c++) {
        positions[3 * n + c] = l.positions[3 * s + c];
        colors[3 * n + c] = l.colors[3 * s + c];
        scales[3 * n + c] = l.scales[3 * s + c];
        normals[3 * n + c] = l.normals[3 * s + c];
      }
      for (let c = 0; c < 4; c++) rotations[4 * n + c] = l.rotations[4 * s + c];
      opacities[n] = l.opacities[s];
      n++;
    }
  }

  // 2. Colour: exposure gains, then the weighted mean over the frames that see each surfel.
  const gains: [number, number, number][] = views.map(() => [1, 1, 1]);
  if (opts.exposure) estimateGains(views, positions, total, tol, gains);
  blendColours(views, positions, normals, colors, total, tol, gains);

  return {
    count: total,
    positions,
    colors,
    scales,
    rotations,
    opacities,
    stats: { policy, perFrame, merged, gains },
  };
}

/** Bilinear sample of frame f's RGB (0..255) at continuous pixel coordinates (px, py) into out. */
function sampleRgb(f: FrameView, px: number, py: number, out: Float64Array): void {
  const x = Math.min(Math.max(px - 0.5, 0), f.width - 1),
    y = Math.min(Math.max(py - 0.5, 0), f.height - 1);
  const x0 = Math.floor(x),
    y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, f.width - 1),
    y1 = Math.min(y0 + 1, f.height - 1);
  const ax = x - x0,
    ay = y - y0;
  const a = (y0 * f.width + x0) * 3,
    b = (y0 * f.width + x1) * 3,
    c = (y1 * f.width + x0) * 3,
    d = (y1 * f.width + x1) * 3;
  const rgb = f.rgb;
  for (let k = 0; k < 3; k++) {
    const top = rgb[a + k] + (rgb[b + k] - rgb[a + k]) * ax;
    const bot = rgb[c + k] + (rgb[d + k] - rgb[c + k]) * ax;
    out[k] = top + (bot - top) * ay;
  }
}

/** Frame f sees the surfel at world (x, y, z): in view, and its depth there agrees. Fills pr. */
function sees(f: FrameView, x: number, y: number, z: number, tol: number, pr: Float64Array): boolean {
  if (!project(f, x, y, z, pr)) return false;
  const d = f.depth[Math.floor(pr[1]) * f.width + Math.floor(pr[0])];
  return d > 0 && Math.abs(d - pr[2]) <= tol * pr[2];
}

function blendColours(
  views: FrameView[],
  positions: Float32Array,
  normals: Float32Array,
  colors: Float32Array,
  count: number,
  tol: number,
  gains: [number, number, number][],
): void {
  const pr = new Float64Array(5);
  const rgb = new Float64Array(3);
  for (let s = 0; s < count; s++) {
    const x = positions[3 * s],
      y = positions[3 * s + 1],
      z = positions[3 * s + 2];
    let wr = 0,
      wg = 0,
      wb = 0,
      wsum = 0;
    for (let i = 0; i < views.length; i++) {
      const f = views[i];
      if (!sees(f, x, y, z, tol, pr)) continue;
      // cos θ between the surfel normal (world) and the ray from the camera, in camera space.
      const m = f.w2c;
      const nx = normals[3 * s],
        ny = normals[3 * s + 1],
        nz = normals[3 * s + 2];
      const cnx = m[0] * nx + m[4] * ny + m[8] * nz,
        cny = m[1] * nx + m[5] * ny + m[9] * nz,
        cnz = m[2] * nx + m[6] * ny + m[10] * nz;
      const rl = Math.hypot(pr[3], pr[4], pr[2]);
      const cos = Math.abs(cnx * pr[3] + cny * pr[4] + cnz * pr[2]) / rl;
      const pix = Math.floor(pr[1]) * f.width + Math.floor(pr[0]);
      const density = (f.fx * f.fy) / (pr[2] * pr[2]);
      const w = density * cos * f.confidence[pix];
      if (!(w > 0)) continue;
      sampleRgb(f, pr[0], pr[1], rgb);
      const g = gains[i];
      wr += (w * rgb[0]) / g[0];
      wg += (w * rgb[1]) / g[1];
      wb += (w * rgb[2]) / g[2];
      wsum += w;
    }
    if (wsum > 0) {
      colors[3 * s] = Math.min(1, wr / wsum / 255);
      colors[3 * s + 1] = Math.min(1, wg / wsum / 255);
      colors[3 * s + 2] = Math.min(1, wb / wsum / 255);
    }
  }
}

/** Per-frame RGB gain against frame 0, over (a sample of) the surfels frame 0 and the frame both see. */
function estimateGains(
  views: FrameView[],
  positions: Float32Array,
  count: number,
  tol: number,
  gains: [number, number, number][],
): void {
  const pr = new Float64Array(5);
  const rgb = new Float64Array(3);
  const r0 = new Float64Array(3);
  const step = Math.max(1, Math.floor(count / FUSION_DEFAULTS.gainSamples));
  for (let i = 1; i < views.length; i++) {
    const f = views[i];
    const ref = [0, 0, 0],
      own = [0, 0, 0];
    let n = 0;
    for (let s = 0; s < count; s += step) {
      const x = positions[3 * s],
        y = positions[3 * s + 1],
        z = positions[3 * s + 2];
      if (!sees(views[0], x, y, z, tol, pr) || !sees(f, x, y, z, tol, pr)) continue;
      sampleRgb(f, pr[0], pr[1], rgb);
      sees(views[0], x, y, z, tol, pr);
      sampleRgb(views[0], pr[0], pr[1], r0);
      for (let k = 0; k < 3; k++) {
        ref[k] += r0[k];
        own[k] += rgb[k];
      }
      n++;
    }
    if (n >= FUSION_DEFAULTS.minGainSamples) {
      const [lo, hi] = FUSION_DEFAULTS.gainRange;
      gains[i] = [0, 1, 2].map((k) => (ref[k] > 0 ? Math.min(hi, Math.max(lo, own[k] / ref[k])) : 1)) as [
        number,
        number,
        number,
      ];
    }
  }
}

function stack(lifted: FrameSurfels[], policy: FusionPolicy): FusedSurfels {
  let total = 0;
  for (const l of lifted) total += l.count;
  const joined = (key: 'positions' | 'colors' | 'scales' | 'rotations' | 'opacities', per: number): Float32Array => {
    if (lifted.length === 1) return lifted[0][key];
    const out = new Float32Array(total * per);
    let off = 0;
    for (const l of lifted) {
      out.set(l[key], off);
      off += l.count * per;
    }
    return out;
  };
  return {
    count: total,
    positions: joined('positions', 3),
    colors: joined('colors', 3),
    scales: joined('scales', 3),
    rotations: joined('rotations', 4),
    opacities: joined('opacities', 1),
    stats: { policy, perFrame: lifted.map((l) => l.count), merged: 0, gains: lifted.map(() => [1, 1, 1]) },
  };
}

/** One line for the scene's notes (and so the trace): which fusion ran and what it did. */
export function fusionNote(st: FusionStats): string {
  if (st.policy === 'stack') return `fusion: stack (${st.perFrame.join(' + ')} surfels, overlaps kept)`;
  const g = st.gains.some((x) => x.some((v) => v !== 1))
    ? `; exposure gains vs frame 0: ${st.gains.map((x) => x.map((v) => v.toFixed(3)).join('/')).join(', ')}`
    : '';
  return `fusion: merge (surfels per frame ${st.perFrame.join(' + ')}; ${st.merged} seen again merged, colours blended by view quality${g})`;
}
