/**
 * The scene's footprint: a small, evenly strided sample of its points (positions and colours) that
 * the top-down map draws under the cameras — in the trace report and in the browser viewer — so a
 * camera wedge stands over the scene it looked at, not over an empty plane.
 */
import type { Scene } from '../core/types.js';

export interface Footprint {
  /** x, y, z of each sampled point, world units, flattened */
  xyz: number[];
  /** r, g, b of each sampled point, 0..255, flattened */
  rgb: number[];
}

/** Points kept by default: enough to show the layout, small in trace.json (~20 kB). */
export const FOOTPRINT_POINTS = 1500;

/** Up to `max` of the scene's points, evenly strided (deterministic), opaque ones only. */
export function footprintOf(scene: Scene, max = FOOTPRINT_POINTS): Footprint {
  const xyz: number[] = [];
  const rgb: number[] = [];
  const n = scene.count;
  const stride = Math.max(1, Math.ceil(n / max));
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  for (let i = 0; i < n && xyz.length / 3 < max; i += stride) {
    if (scene.opacities[i] < 0.2) continue;
    const p = [scene.positions[3 * i], scene.positions[3 * i + 1], scene.positions[3 * i + 2]];
    if (!p.every(Number.isFinite)) continue;
    xyz.push(...p.map(r3));
    for (let c = 0; c < 3; c++) rgb.push(Math.round(Math.min(1, Math.max(0, scene.colors[3 * i + c])) * 255));
  }
  return { xyz, rgb };
}
