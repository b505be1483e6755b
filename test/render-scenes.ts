/**
 * Small scenes for the render tests: hand-placed Gaussians whose image position can be checked by
 * hand, and seeded random clouds. Not a test file itself (no .test suffix).
 */
import type { Camera, Scene, Vec3 } from '../core/types.js';
import { identity, intrinsicsFromHfov } from '../core/camera.js';

export interface Splat {
  pos: Vec3;
  color: Vec3;
  /** std-devs; a number means isotropic */
  scale: number | Vec3;
  /** quaternion (w, x, y, z); identity by default */
  rot?: [number, number, number, number];
  opacity?: number;
}

export function sceneOf(splats: Splat[]): Scene {
  const n = splats.length;
  const scene: Scene = {
    count: n,
    positions: new Float32Array(3 * n),
    colors: new Float32Array(3 * n),
    scales: new Float32Array(3 * n),
    rotations: new Float32Array(4 * n),
    opacities: new Float32Array(n),
    units: 'metres',
    reference: camera(64, 48),
    up: [0, -1, 0],
    pivot: [0, 0, 2],
    bounds: { min: [-1, -1, 1], max: [1, 1, 4] },
    notes: [],
  };
  splats.forEach((s, i) => {
    scene.positions.set(s.pos, 3 * i);
    scene.colors.set(s.color, 3 * i);
    scene.scales.set(typeof s.scale === 'number' ? [s.scale, s.scale, s.scale] : s.scale, 3 * i);
    scene.rotations.set(s.rot ?? [1, 0, 0, 0], 4 * i);
    scene.opacities[i] = s.opacity ?? 1;
  });
  return scene;
}

/** The identity camera (at the origin looking down +z) with a 60° horizontal field of view. */
export function camera(width: number, height: number): Camera {
  return { intrinsics: intrinsicsFromHfov(width, height), c2w: identity() };
}

/** Pixel (u, v) of an RGBA image as [r, g, b]. */
export function rgbAt(rgba: Uint8Array, width: number, u: number, v: number): [number, number, number] {
  const o = 4 * (v * width + u);
  return [rgba[o], rgba[o + 1], rgba[o + 2]];
}

/** Deterministic pseudo-random numbers in [0, 1). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * n random Gaussians around the view of the identity camera, with the awkward cases mixed in:
 * anisotropic and rotated, 0.3–4 px footprints at 128 px width, opacities from invisible to
 * opaque, ~5 % behind the camera, ~10 % outside the image.
 */
export function randomScene(n: number, seed = 7): Scene {
  const r = seeded(seed);
  const splats: Splat[] = [];
  const fx128 = intrinsicsFromHfov(128, 96).fx;
  for (let i = 0; i < n; i++) {
    const z = r() < 0.05 ? -1 - r() : 1.5 + 3 * r();
    const spread = r() < 0.1 ? 1.2 : 0.55;
    const q = [r() - 0.5, r() - 0.5, r() - 0.5, r() - 0.5];
    const len = Math.hypot(...q) || 1;
    const px = () => ((0.3 + 3.7 * r() * r()) * Math.abs(z)) / fx128;
    splats.push({
      pos: [(2 * r() - 1) * spread * Math.abs(z), (2 * r() - 1) * spread * 0.75 * Math.abs(z), z],
      color: [r(), r(), r()],
      scale: [px(), px(), px()],
      rot: [q[0] / len, q[1] / len, q[2] / len, q[3] / len],
      opacity: r() < 0.1 ? 0.002 : 0.2 + 0.8 * r(),
    });
  }
  const scene = sceneOf(splats);
  scene.bounds = { min: [-6, -5, -2], max: [6, 5, 4.5] };
  return scene;
}
