/** Axis-aligned bounds of positions, one definition for scenes read from PLY, lifted or merged. */
import type { Vec3 } from './types.js';

/** Axis-aligned bounds of N × 3 positions (all zero when there are none). */
export function sceneBounds(positions: Float32Array): { min: Vec3; max: Vec3 } {
  if (positions.length < 3) return { min: [0, 0, 0], max: [0, 0, 0] };
  let x0 = Infinity,
    y0 = Infinity,
    z0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity,
    z1 = -Infinity;
  for (let i = 0; i + 2 < positions.length; i += 3) {
    const x = positions[i],
      y = positions[i + 1],
      z = positions[i + 2];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (z < z0) z0 = z;
    if (z > z1) z1 = z;
  }
  return { min: [x0, y0, z0], max: [x1, y1, z1] };
}
