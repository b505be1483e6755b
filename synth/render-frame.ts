/**
 * What both renderers compute before touching a splat: input validation, the camera of the frame
 * (intrinsics at the render size, world-to-camera), near plane, Jacobian clamp, tile grid and the
 * bit layout of the GPU sort key. The WebGPU renderer uploads exactly these numbers; the reference
 * renderer uses them directly, so the two agree by construction. And what both do after: finishView.
 */
import type { Camera, RenderOptions, RenderedView, Scene } from '../core/types.js';
import { invertPose, scaleIntrinsics, toF64 } from '../core/camera.js';
import { INPUT_LIMITS } from '../core/config.js';
import { checkRenderSide } from '../core/render-size.js';
import { RENDER_TUNING } from './config.js';
import { VantageError } from '../core/errors.js';
import { applyHoles } from './holes.js';

/** Tile side in pixels: a splat is composited over every pixel of each tile its footprint touches. */
export const TILE_SIZE = RENDER_TUNING.tileSize;

export interface FrameSetup {
  width: number;
  height: number;
  /** the camera actually rendered: intrinsics rescaled to the render size when they differ */
  camera: Camera;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  /** world-to-camera, column-major */
  w2c: Float64Array;
  /** splats with camera z below this are culled */
  near: number;
  /** clamp of x/z and y/z in the EWA Jacobian (as 3DGS's 1.3·tan(fov/2), generalised to any cx, cy) */
  limLo: [number, number];
  limHi: [number, number];
  tilesX: number;
  tilesY: number;
  /** bits of the depth sort key (a multiple of the GPU radix digit, 4) */
  depthBits: number;
  /** background in 0..1 */
  background: [number, number, number];
}

const MODES = ['points', 'gaussians'] as const;
const HOLES = ['mark', 'fill', 'none'] as const;

/** Throws a VantageError naming what is wrong with a scene, camera or render options. */
export function validateRenderInputs(scene: Scene, camera: Camera, options: RenderOptions): void {
  if (!MODES.includes(options.mode)) {
    throw new VantageError(
      'bad-render-options',
      `render mode must be one of ${MODES.join(', ')}, got "${String(options.mode)}"`,
    );
  }
  if (!HOLES.includes(options.holes)) {
    throw new VantageError(
      'bad-render-options',
      `hole mode must be one of ${HOLES.join(', ')}, got "${String(options.holes)}"`,
    );
  }
  checkRenderSide(options.width, 'render width');
  checkRenderSide(options.height, 'render height');
  for (const [name, c] of [
    ['background', options.background],
    ['holeColor', options.holeColor],
  ] as const) {
    if (c !== undefined && !(c.length === 3 && c.every((x) => Number.isFinite(x) && x >= 0 && x <= 255))) {
      throw new VantageError('bad-render-options', `${name} must be three numbers in 0..255`);
    }
  }
  const n = scene.count;
  if (!Number.isInteger(n) || n < 0)
    throw new VantageError('bad-scene', `scene count must be a non-negative integer, got ${n}`);
  if (n > INPUT_LIMITS.maxSplats) {
    throw new VantageError(
      'bad-scene',
      `scene has ${n} splats; at most ${INPUT_LIMITS.maxSplats} are supported`,
      'downsample the scene',
    );
  }
  const lengths: [string, ArrayLike<number>, number][] = [
    ['positions', scene.positions, 3],
    ['colors', scene.colors, 3],
    ['scales', scene.scales, 3],
    ['rotations', scene.rotations, 4],
    ['opacities', scene.opacities, 1],
  ];
  for (const [name, arr, k] of lengths) {
    if (!arr || arr.length < n * k) {
      throw new VantageError('bad-scene', `scene.${name} holds ${arr?.length ?? 0} numbers; ${n} splats need ${n * k}`);
    }
  }
  const k = camera?.intrinsics;
  if (
    !k ||
    ![k.fx, k.fy, k.cx, k.cy, k.width, k.height].every(Number.isFinite) ||
    !(k.fx > 0 && k.fy > 0 && k.width > 0 && k.height > 0)
  ) {
    throw new VantageError(
      'bad-camera',
      'camera intrinsics need finite fx, fy > 0, cx, cy and a positive width and height',
    );
  }
  if (!camera.c2w || camera.c2w.length !== 16 || !Array.from(camera.c2w as ArrayLike<number>).every(Number.isFinite)) {
    throw new VantageError('bad-camera', 'camera c2w must be 16 finite numbers (column-major 4×4)');
  }
}

/** Near plane of a scene: a share of its bounds diagonal (RENDER_TUNING.nearFraction). */
export function nearPlane(scene: Scene): number {
  const { min, max } = scene.bounds ?? { min: [0, 0, 0], max: [0, 0, 0] };
  const diag = Math.hypot(max[0] - min[0], max[1] - min[1], max[2] - min[2]);
  return Math.max(RENDER_TUNING.minNear, Number.isFinite(diag) ? RENDER_TUNING.nearFraction * diag : 0);
}

/** The numbers of one frame, shared by both renderers. */
export function frameSetup(scene: Scene, camera: Camera, options: RenderOptions): FrameSetup {
  validateRenderInputs(scene, camera, options);
  const { width, height } = options;
  const k0 = camera.intrinsics;
  const k = k0.width === width && k0.height === height ? k0 : scaleIntrinsics(k0, width, height);
  const c2w = toF64(camera.c2w);
  const m = RENDER_TUNING.jacobianClampMargin;
  const tilesX = Math.ceil(width / TILE_SIZE);
  const tilesY = Math.ceil(height / TILE_SIZE);
  const bg = options.background ?? [0, 0, 0];
  return {
    width,
    height,
    camera: { intrinsics: { ...k }, c2w },
    fx: k.fx,
    fy: k.fy,
    cx: k.cx,
    cy: k.cy,
    w2c: invertPose(c2w),
    near: nearPlane(scene),
    limLo: [(-m * width - k.cx) / k.fx, (-m * height - k.cy) / k.fy],
    limHi: [((1 + m) * width - k.cx) / k.fx, ((1 + m) * height - k.cy) / k.fy],
    tilesX,
    tilesY,
    depthBits: Math.min(24, Math.ceil(RENDER_TUNING.depthKeyBits / 4) * 4),
    background: [bg[0] / 255, bg[1] / 255, bg[2] / 255],
  };
}

/** 0..1 → 0..255 as WGSL's pack4x8unorm rounds: floor(0.5 + 255·clamp(v, 0, 1)). */
export function unorm8(v: number): number {
  return Math.floor(0.5 + 255 * Math.min(1, Math.max(0, v)));
}

/**
 * Depth → sort key, as shaders/depth_keys.wgsl computes it: depth quantised over the visible range
 * [zmin, zmax] to 0 .. 2^bits − 2 (the top value marks culled splats, which sort last).
 */
export function depthKey(z: number, zmin: number, zmax: number, depthBits: number): number {
  if (!(zmax > zmin)) return 0;
  const t = Math.min(1, Math.max(0, (z - zmin) / (zmax - zmin)));
  return Math.floor(t * (2 ** depthBits - 2));
}

/** What a renderer produced for a frame: colour, depth and coverage (1 = real surface) per pixel. */
export interface Framebuffer {
  rgba: Uint8Array;
  depth: Float32Array;
  coverage: Uint8Array;
}

/** Assemble a RenderedView from a framebuffer: count coverage, then mark or fill the holes. */
export function finishView(
  fb: Framebuffer,
  f: FrameSetup,
  options: RenderOptions,
  renderer: RenderedView['renderer'],
): RenderedView {
  let covered = 0;
  for (let p = 0; p < fb.coverage.length; p++) covered += fb.coverage[p];
  applyHoles(fb.rgba, fb.coverage, f.width, f.height, options.holes, options.holeColor);
  return {
    width: f.width,
    height: f.height,
    rgba: fb.rgba,
    depth: fb.depth,
    coverage: fb.coverage,
    coverageRatio: covered / fb.coverage.length,
    camera: f.camera,
    mode: options.mode,
    holes: options.holes,
    renderer,
  };
}
