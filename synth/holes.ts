/**
 * What happens to pixels no surface landed on, after rendering (shared by both renderers):
 * - 'mark': paint them HOLE_MARK_COLOR, so an MLLM (and a reader of the trace) sees they are unknown;
 * - 'fill': fill them by push-pull (Gortler et al., The Lumigraph): a weighted image pyramid of the
 *   covered pixels is built down to 1×1, then each level fills its holes from the level below,
 *   bilinearly. Covered pixels keep their exact colour; coverage stays 0 at filled pixels so the
 *   trace still knows which pixels are real;
 * - 'none': leave the renderer's background.
 */
import type { HoleMode } from '../core/types.js';
import { HOLE_MARK_COLOR } from '../core/config.js';

/** Apply a hole mode in place to an RGBA image (alpha untouched), given per-pixel coverage 0/1. */
export function applyHoles(
  rgba: Uint8Array,
  coverage: Uint8Array,
  width: number,
  height: number,
  mode: HoleMode,
  holeColor: [number, number, number] = HOLE_MARK_COLOR,
): void {
  if (mode === 'none') return;
  if (mode === 'mark') {
    for (let p = 0; p < width * height; p++) {
      if (coverage[p]) continue;
      rgba[4 * p] = holeColor[0];
      rgba[4 * p + 1] = holeColor[1];
      rgba[4 * p + 2] = holeColor[2];
    }
    return;
  }
  pushPullFill(rgba, coverage, width, height);
}

interface Level {
  w: number;
  h: number;
  /** premultiplied rgb (colour × weight) */
  c: Float32Array;
  /** weight 0..1 */
  a: Float32Array;
}

/**
 * Fill uncovered pixels of an RGBA image in place by push-pull. With no covered pixel at all there
 * is nothing to pull from and the image is left as it is.
 */
export function pushPullFill(rgba: Uint8Array, coverage: Uint8Array, width: number, height: number): void {
  const n = width * height;
  let holes = 0;
  for (let p = 0; p < n; p++) holes += coverage[p] ? 0 : 1;
  if (holes === 0 || holes === n) return;

  const base: Level = { w: width, h: height, c: new Float32Array(3 * n), a: new Float32Array(n) };
  for (let p = 0; p < n; p++) {
    if (!coverage[p]) continue;
    base.a[p] = 1;
    for (let k = 0; k < 3; k++) base.c[3 * p + k] = rgba[4 * p + k];
  }
  // Push: sum 2×2 blocks; a block with total weight above 1 is normalised to weight 1.
  const levels: Level[] = [base];
  while (levels[levels.length - 1].w > 1 || levels[levels.length - 1].h > 1) {
    const f = levels[levels.length - 1];
    const w = Math.ceil(f.w / 2),
      h = Math.ceil(f.h / 2);
    const lv: Level = { w, h, c: new Float32Array(3 * w * h), a: new Float32Array(w * h) };
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let a = 0,
          r = 0,
          g = 0,
          b = 0;
        for (let dy = 0; dy < 2; dy++) {
          const fy = 2 * y + dy;
          if (fy >= f.h) continue;
          for (let dx = 0; dx < 2; dx++) {
            const fx = 2 * x + dx;
            if (fx >= f.w) continue;
            const q = fy * f.w + fx;
            a += f.a[q];
            r += f.c[3 * q];
            g += f.c[3 * q + 1];
            b += f.c[3 * q + 2];
          }
        }
        const s = a > 1 ? 1 / a : 1;
        const p = y * w + x;
        lv.a[p] = a * s;
        lv.c[3 * p] = r * s;
        lv.c[3 * p + 1] = g * s;
        lv.c[3 * p + 2] = b * s;
      }
    }
    levels.push(lv);
  }
  // Pull: from the coarsest level up, top each pixel's weight up to 1 with the bilinearly sampled
  // (already complete) colour of the coarser level.
  for (let l = levels.length - 2; l >= 0; l--) {
    const f = levels[l],
      cz = levels[l + 1];
    for (let y = 0; y < f.h; y++) {
      for (let x = 0; x < f.w; x++) {
        const p = y * f.w + x;
        const miss = 1 - f.a[p];
        if (miss <= 0) continue;
        const rgb = sampleBilinear(cz, (x + 0.5) / 2 - 0.5, (y + 0.5) / 2 - 0.5);
        for (let k = 0; k < 3; k++) f.c[3 * p + k] += miss * rgb[k];
        f.a[p] = 1;
      }
    }
  }
  for (let p = 0; p < n; p++) {
    if (coverage[p]) continue;
    for (let k = 0; k < 3; k++) rgba[4 * p + k] = Math.min(255, Math.max(0, Math.round(base.c[3 * p + k])));
  }
}

/** Colour of a complete level (weights all 1, so premultiplied = colour) at continuous (x, y). */
function sampleBilinear(lv: Level, x: number, y: number): [number, number, number] {
  const cx = Math.min(Math.max(x, 0), lv.w - 1),
    cy = Math.min(Math.max(y, 0), lv.h - 1);
  const x0 = Math.floor(cx),
    y0 = Math.floor(cy);
  const x1 = Math.min(x0 + 1, lv.w - 1),
    y1 = Math.min(y0 + 1, lv.h - 1);
  const fx = cx - x0,
    fy = cy - y0;
  const out: [number, number, number] = [0, 0, 0];
  const taps: [number, number, number][] = [
    [x0, y0, (1 - fx) * (1 - fy)],
    [x1, y0, fx * (1 - fy)],
    [x0, y1, (1 - fx) * fy],
    [x1, y1, fx * fy],
  ];
  for (const [tx, ty, wgt] of taps) {
    const q = ty * lv.w + tx;
    for (let k = 0; k < 3; k++) out[k] += wgt * lv.c[3 * q + k];
  }
  return out;
}
