/**
 * The TypeScript reference renderer: the same maths as shaders/*.wgsl, one splat at a time on the
 * CPU. It is the oracle for the shader tests and the fallback when WebGPU has no adapter.
 *
 * gaussians — 3DGS EWA splatting: project each Gaussian (Jacobian of the pinhole at its centre,
 *   low-pass, 3σ radius), bin it into the 16×16 tiles its footprint touches, order by quantised
 *   depth (then index) as the GPU sort does, and composite front to back per pixel over exactly the
 *   splats of that pixel's tile. Shaders: preprocess.wgsl, duplicate.wgsl, rasterize.wgsl.
 * points — z-buffered square splats of half-size r = clamp(max(scale)·fx/z·k, ½, max) px; the
 *   nearest depth wins, ties go to the lower index. Shaders: points.wgsl, resolve_points.wgsl.
 */
import type { Camera, RenderOptions, RenderedView, Renderer, Scene } from '../core/types.js';
import { RENDER_TUNING } from './config.js';
import {
  TILE_SIZE,
  depthKey,
  finishView,
  frameSetup,
  unorm8,
  type FrameSetup,
  type Framebuffer,
} from './render-frame.js';

/** A Gaussian projected to the image (what preprocess.wgsl writes per splat). */
export interface ProjectedGaussian {
  /** continuous image coordinates of the centre (pixel u spans [u, u+1]) */
  x: number;
  y: number;
  /** camera-space z */
  depth: number;
  /** inverse of the 2D covariance: [a, b, c] of a·dx² + 2b·dx·dy + c·dy² */
  conic: [number, number, number];
  opacity: number;
  /** footprint radius in pixels (ceil of 3σ of the major axis) */
  radius: number;
  /** tiles touched, inclusive */
  tileMin: [number, number];
  tileMax: [number, number];
}

/** Camera-space position of splat i (world-to-camera applied). */
function cameraPoint(f: FrameSetup, p: ArrayLike<number>, i: number): [number, number, number] {
  const m = f.w2c;
  const x = p[3 * i],
    y = p[3 * i + 1],
    z = p[3 * i + 2];
  return [
    m[0] * x + m[4] * y + m[8] * z + m[12],
    m[1] * x + m[5] * y + m[9] * z + m[13],
    m[2] * x + m[6] * y + m[10] * z + m[14],
  ];
}

/** Project Gaussian i, or null when it is culled (behind the near plane, degenerate, off-image). */
function projectGaussian(f: FrameSetup, scene: Scene, i: number): ProjectedGaussian | null {
  const opacity = scene.opacities[i];
  if (!(opacity >= RENDER_TUNING.minAlpha)) return null;
  const [tx, ty, tz] = cameraPoint(f, scene.positions, i);
  if (!(tz >= f.near)) return null;

  // Rotation of the Gaussian's axes, from the (normalised) quaternion (w, x, y, z).
  const q = scene.rotations;
  let qw = q[4 * i],
    qx = q[4 * i + 1],
    qy = q[4 * i + 2],
    qz = q[4 * i + 3];
  const qn = Math.hypot(qw, qx, qy, qz);
  if (!(qn > 0)) return null;
  qw /= qn;
  qx /= qn;
  qy /= qn;
  qz /= qn;
  const r = [
    1 - 2 * (qy * qy + qz * qz),
    2 * (qx * qy - qw * qz),
    2 * (qx * qz + qw * qy),
    2 * (qx * qy + qw * qz),
    1 - 2 * (qx * qx + qz * qz),
    2 * (qy * qz - qw * qx),
    2 * (qx * qz - qw * qy),
    2 * (qy * qz + qw * qx),
    1 - 2 * (qx * qx + qy * qy),
  ]; // row-major R
  const s = [scene.scales[3 * i], scene.scales[3 * i + 1], scene.scales[3 * i + 2]];
  // M = W · R · S, W the world-to-camera rotation: columns of M are the camera-space axes × σ.
  const w = f.w2c;
  const m = new Array<number>(9);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) {
      m[row * 3 + col] = (w[row] * r[col] + w[4 + row] * r[3 + col] + w[8 + row] * r[6 + col]) * s[col];
    }
  }
  // EWA Jacobian at the (clamped) centre, then T = J · M and Σ2D = T Tᵀ + low-pass.
  const cx = Math.min(f.limHi[0], Math.max(f.limLo[0], tx / tz)) * tz;
  const cy = Math.min(f.limHi[1], Math.max(f.limLo[1], ty / tz)) * tz;
  const j00 = f.fx / tz,
    j02 = (-f.fx * cx) / (tz * tz);
  const j11 = f.fy / tz,
    j12 = (-f.fy * cy) / (tz * tz);
  const t0 = [j00 * m[0] + j02 * m[6], j00 * m[1] + j02 * m[7], j00 * m[2] + j02 * m[8]];
  const t1 = [j11 * m[3] + j12 * m[6], j11 * m[4] + j12 * m[7], j11 * m[5] + j12 * m[8]];
  const a = t0[0] * t0[0] + t0[1] * t0[1] + t0[2] * t0[2] + RENDER_TUNING.lowPassPx2;
  const b = t0[0] * t1[0] + t0[1] * t1[1] + t0[2] * t1[2];
  const c = t1[0] * t1[0] + t1[1] * t1[1] + t1[2] * t1[2] + RENDER_TUNING.lowPassPx2;
  const det = a * c - b * b;
  if (!(det > 0)) return null;
  const mid = 0.5 * (a + c);
  const lambda1 = mid + Math.sqrt(Math.max(0.1, mid * mid - det));
  const radius = Math.ceil(RENDER_TUNING.sigmaCutoff * Math.sqrt(lambda1));

  const x = (f.fx * tx) / tz + f.cx;
  const y = (f.fy * ty) / tz + f.cy;
  // Pixels whose centre (u + ½) lies within the radius, clipped to the image, then their tiles.
  const u0 = Math.max(0, Math.ceil(x - radius - 0.5));
  const u1 = Math.min(f.width - 1, Math.floor(x + radius - 0.5));
  const v0 = Math.max(0, Math.ceil(y - radius - 0.5));
  const v1 = Math.min(f.height - 1, Math.floor(y + radius - 0.5));
  if (!(u0 <= u1 && v0 <= v1)) return null;
  return {
    x,
    y,
    depth: tz,
    conic: [c / det, -b / det, a / det],
    opacity,
    radius,
    tileMin: [Math.floor(u0 / TILE_SIZE), Math.floor(v0 / TILE_SIZE)],
    tileMax: [Math.floor(u1 / TILE_SIZE), Math.floor(v1 / TILE_SIZE)],
  };
}

function renderGaussians(f: FrameSetup, scene: Scene): Framebuffer {
  const { width: W, height: H } = f;
  const projected: ProjectedGaussian[] = [];
  const index: number[] = [];
  let zmin = Infinity,
    zmax = -Infinity;
  for (let i = 0; i < scene.count; i++) {
    const g = projectGaussian(f, scene, i);
    if (!g) continue;
    projected.push(g);
    index.push(i);
    zmin = Math.min(zmin, g.depth);
    zmax = Math.max(zmax, g.depth);
  }
  // Sort by (quantised depth, index): the order of the GPU's stable radix sort, which binning keeps.
  const order = projected.map((_, k) => k);
  const keys = projected.map((g) => depthKey(g.depth, zmin, zmax, f.depthBits));
  order.sort((p, q) => keys[p] - keys[q] || index[p] - index[q]);

  const n = W * H;
  const T = new Float64Array(n).fill(1);
  const C = new Float64Array(3 * n);
  const D = new Float64Array(n);
  const done = new Uint8Array(n);
  const { maxAlpha, minAlpha, minTransmittance } = RENDER_TUNING;
  for (const k of order) {
    const g = projected[k];
    const i = index[k];
    const cr = unorm8(scene.colors[3 * i]) / 255;
    const cg = unorm8(scene.colors[3 * i + 1]) / 255;
    const cb = unorm8(scene.colors[3 * i + 2]) / 255;
    const [ca, cbb, cc] = g.conic;
    // Every pixel of every touched tile, as the per-tile GPU rasteriser evaluates it.
    const pu0 = g.tileMin[0] * TILE_SIZE,
      pu1 = Math.min(W, (g.tileMax[0] + 1) * TILE_SIZE);
    const pv0 = g.tileMin[1] * TILE_SIZE,
      pv1 = Math.min(H, (g.tileMax[1] + 1) * TILE_SIZE);
    for (let v = pv0; v < pv1; v++) {
      const dy = v + 0.5 - g.y;
      for (let u = pu0; u < pu1; u++) {
        const p = v * W + u;
        if (done[p]) continue;
        const dx = u + 0.5 - g.x;
        const power = -0.5 * (ca * dx * dx + cc * dy * dy) - cbb * dx * dy;
        if (power > 0) continue;
        const alpha = Math.min(maxAlpha, g.opacity * Math.exp(power));
        if (alpha < minAlpha) continue;
        const t = T[p];
        const testT = t * (1 - alpha);
        if (testT < minTransmittance) {
          done[p] = 1;
          continue;
        }
        const wgt = alpha * t;
        C[3 * p] += cr * wgt;
        C[3 * p + 1] += cg * wgt;
        C[3 * p + 2] += cb * wgt;
        D[p] += g.depth * wgt;
        T[p] = testT;
      }
    }
  }
  const fb = emptyFramebuffer(n);
  const [br, bgc, bb] = f.background;
  for (let p = 0; p < n; p++) {
    const t = T[p];
    const acc = 1 - t;
    fb.rgba[4 * p + 3] = 255;
    if (acc >= RENDER_TUNING.coverageAlpha) {
      // A covered pixel is surface: normalise by the accumulated alpha instead of mixing in the
      // background, so thin or oblique surfels do not darken toward black at the seams.
      fb.rgba[4 * p] = unorm8(C[3 * p] / acc);
      fb.rgba[4 * p + 1] = unorm8(C[3 * p + 1] / acc);
      fb.rgba[4 * p + 2] = unorm8(C[3 * p + 2] / acc);
      fb.coverage[p] = 1;
      fb.depth[p] = D[p] / acc;
    } else {
      fb.rgba[4 * p] = unorm8(C[3 * p] + br * t);
      fb.rgba[4 * p + 1] = unorm8(C[3 * p + 1] + bgc * t);
      fb.rgba[4 * p + 2] = unorm8(C[3 * p + 2] + bb * t);
    }
  }
  return fb;
}

/** Square footprint of point i in points mode, or null when culled (as points.wgsl). */
function pointFootprint(
  f: FrameSetup,
  scene: Scene,
  i: number,
): { x: number; y: number; z: number; u0: number; u1: number; v0: number; v1: number } | null {
  if (!(scene.opacities[i] >= RENDER_TUNING.minAlpha)) return null;
  const [tx, ty, tz] = cameraPoint(f, scene.positions, i);
  if (!(tz >= f.near)) return null;
  const s = Math.max(scene.scales[3 * i], scene.scales[3 * i + 1], scene.scales[3 * i + 2]);
  const r = Math.min(RENDER_TUNING.pointMaxRadiusPx, Math.max(0.5, ((s * f.fx) / tz) * RENDER_TUNING.pointFootprintK));
  const x = (f.fx * tx) / tz + f.cx;
  const y = (f.fy * ty) / tz + f.cy;
  const u0 = Math.max(0, Math.ceil(x - r - 0.5));
  const u1 = Math.min(f.width - 1, Math.floor(x + r - 0.5));
  const v0 = Math.max(0, Math.ceil(y - r - 0.5));
  const v1 = Math.min(f.height - 1, Math.floor(y + r - 0.5));
  if (!(u0 <= u1 && v0 <= v1)) return null;
  return { x, y, z: tz, u0, u1, v0, v1 };
}

function renderPoints(f: FrameSetup, scene: Scene): Framebuffer {
  const n = f.width * f.height;
  const zbuf = new Float64Array(n).fill(Infinity);
  const winner = new Int32Array(n).fill(-1);
  for (let i = 0; i < scene.count; i++) {
    const fp = pointFootprint(f, scene, i);
    if (!fp) continue;
    for (let v = fp.v0; v <= fp.v1; v++) {
      for (let u = fp.u0; u <= fp.u1; u++) {
        const p = v * f.width + u;
        if (fp.z < zbuf[p]) {
          zbuf[p] = fp.z;
          winner[p] = i;
        }
      }
    }
  }
  const fb = emptyFramebuffer(n);
  const bg = f.background.map(unorm8);
  for (let p = 0; p < n; p++) {
    const i = winner[p];
    if (i < 0) {
      fb.rgba.set([bg[0], bg[1], bg[2], 255], 4 * p);
      continue;
    }
    fb.rgba.set(
      [unorm8(scene.colors[3 * i]), unorm8(scene.colors[3 * i + 1]), unorm8(scene.colors[3 * i + 2]), 255],
      4 * p,
    );
    fb.depth[p] = zbuf[p];
    fb.coverage[p] = 1;
  }
  return fb;
}

function emptyFramebuffer(n: number): Framebuffer {
  return { rgba: new Uint8Array(4 * n), depth: new Float32Array(n), coverage: new Uint8Array(n) };
}

/** Render one view on the CPU (synchronously). */
export function renderReference(scene: Scene, camera: Camera, options: RenderOptions): RenderedView {
  const f = frameSetup(scene, camera, options);
  const fb = options.mode === 'points' ? renderPoints(f, scene) : renderGaussians(f, scene);
  return finishView(fb, f, options, 'reference');
}

/** The reference renderer behind the Renderer interface. */
export function createReferenceRenderer(): Renderer {
  return {
    kind: 'reference',
    render: async (scene, camera, options) => renderReference(scene, camera, options),
    dispose: () => {},
  };
}
