/**
 * Optional photometric refinement (`--refine N`): a few steps that adjust the lifted Gaussians' colours
 * so that the scene, rendered at each input camera, reproduces that input photo.
 *
 * Lifting gives every surfel its pixel's colour, but the renderer blends each pixel from several
 * overlapping surfels (opacity < 1, σ ≈ ½ px), so the input view comes back softened. Each step renders
 * every input view, takes the residual (photo − render) over covered pixels, and moves each visible
 * surfel's colour by `step` × the mean residual where it lands in the views that see it (visibility:
 * the rendered depth there agrees with the surfel's). Colours only: positions, scales and opacities stay
 * as lifted. Bounded by an iteration count and a time budget; what ran is returned for the notes/trace.
 */
import type { Camera, RgbdFrame, Renderer, Scene } from '../core/types.js';
import { invertPose, toF64 } from '../core/camera.js';
import { VantageError } from '../core/errors.js';
import { psnr } from './metrics.js';
import { REFINE_DEFAULTS } from './config.js';

export interface RefineOptions {
  /** steps (each renders every input view once) */
  iterations: number;
  /** stop after the step that crosses this many milliseconds (default REFINE_DEFAULTS.timeBudgetMs) */
  timeBudgetMs?: number;
  /** share of the mean residual applied per step (default REFINE_DEFAULTS.step) */
  step?: number;
  log?: (line: string) => void;
}

export interface RefineResult {
  /** the scene with refined colours (a new object: renderers cache uploads per scene object) */
  scene: Scene;
  iterations: number;
  ms: number;
  /** mean PSNR over the input views (covered pixels), before the first step and after the last */
  psnrBefore: number;
  psnrAfter: number;
  note: string;
}

function rgbOf(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    out[j] = rgba[i];
    out[j + 1] = rgba[i + 1];
    out[j + 2] = rgba[i + 2];
  }
  return out;
}

/** Refine `scene`'s colours against the frames it was lifted from (their own cameras and photos). */
export async function refineColours(
  scene: Scene,
  frames: RgbdFrame[],
  renderer: Renderer,
  opts: RefineOptions,
): Promise<RefineResult> {
  const iterations = opts.iterations;
  if (!(Number.isInteger(iterations) && iterations >= 0 && iterations <= REFINE_DEFAULTS.maxIterations)) {
    throw new VantageError(
      'bad-option',
      `refine iterations must be an integer from 0 to ${REFINE_DEFAULTS.maxIterations}, got ${iterations}`,
      'e.g. --refine 3',
    );
  }
  const budget = opts.timeBudgetMs ?? REFINE_DEFAULTS.timeBudgetMs;
  const step = opts.step ?? REFINE_DEFAULTS.step;
  const tol = REFINE_DEFAULTS.depthTolRel;
  const t0 = performance.now();
  const cams: Camera[] = frames.map((f) => ({
    intrinsics: { ...f.intrinsics, width: f.width, height: f.height },
    c2w: f.c2w,
  }));
  const w2cs = frames.map((f) => invertPose(toF64(f.c2w)));
  let current: Scene = { ...scene, colors: Float32Array.from(scene.colors) };
  const n = scene.count;
  const sum = new Float64Array(n * 3);
  const hits = new Float32Array(n);

  /** Render every input view; the mean PSNR over covered pixels, and (when `accumulate`) the residuals. */
  const pass = async (accumulate: boolean): Promise<number> => {
    let total = 0;
    for (let k = 0; k < frames.length; k++) {
      const f = frames[k];
      const view = await renderer.render(current, cams[k], {
        mode: 'gaussians',
        width: f.width,
        height: f.height,
        holes: 'none',
      });
      const rgb = rgbOf(view.rgba);
      total += psnr(rgb, f.rgb, 3, view.coverage);
      if (!accumulate) continue;
      const m = w2cs[k];
      const { fx, fy, cx, cy } = f.intrinsics;
      const p = current.positions;
      for (let s = 0; s < n; s++) {
        const x = p[3 * s],
          y = p[3 * s + 1],
          z = p[3 * s + 2];
        const cz = m[2] * x + m[6] * y + m[10] * z + m[14];
        if (!(cz > 0)) continue;
        const u = Math.floor((fx * (m[0] * x + m[4] * y + m[8] * z + m[12])) / cz + cx);
        const v = Math.floor((fy * (m[1] * x + m[5] * y + m[9] * z + m[13])) / cz + cy);
        if (u < 0 || v < 0 || u >= f.width || v >= f.height) continue;
        const i = v * f.width + u;
        if (!view.coverage[i] || Math.abs(view.depth[i] - cz) > tol * cz) continue;
        sum[3 * s] += f.rgb[3 * i] - rgb[3 * i];
        sum[3 * s + 1] += f.rgb[3 * i + 1] - rgb[3 * i + 1];
        sum[3 * s + 2] += f.rgb[3 * i + 2] - rgb[3 * i + 2];
        hits[s]++;
      }
    }
    return total / frames.length;
  };

  let psnrBefore = NaN;
  let done = 0;
  for (; done < iterations && performance.now() - t0 < budget; done++) {
    sum.fill(0);
    hits.fill(0);
    const q = await pass(true);
    if (done === 0) psnrBefore = q;
    const colors = Float32Array.from(current.colors);
    const k = step / 255;
    for (let s = 0; s < n; s++) {
      if (!hits[s]) continue;
      for (let c = 0; c < 3; c++) {
        colors[3 * s + c] = Math.min(1, Math.max(0, colors[3 * s + c] + (k * sum[3 * s + c]) / hits[s]));
      }
    }
    current = { ...current, colors };
    opts.log?.(`refine: step ${done + 1}/${iterations}, input views ${q.toFixed(2)} dB before it`);
  }
  const psnrAfter = done ? await pass(false) : psnrBefore;
  const ms = performance.now() - t0;
  const note = done
    ? `photometric refinement: ${done} step${done > 1 ? 's' : ''} of colours against ${frames.length} input view${frames.length > 1 ? 's' : ''}, ${psnrBefore.toFixed(2)} → ${psnrAfter.toFixed(2)} dB there, ${Math.round(ms)} ms`
    : 'photometric refinement: off';
  current.notes = [...scene.notes, note];
  return { scene: current, iterations: done, ms, psnrBefore, psnrAfter, note };
}
