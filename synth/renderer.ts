/**
 * Picking a renderer: WebGPU when an adapter exists, else the TypeScript reference renderer with
 * one warning line saying why (it is ~100× slower, so a user should know).
 */
import type { Camera, RenderOptions, RenderedView, Renderer, Scene } from '../core/types.js';
import { RENDER_DEFAULTS } from './config.js';
import { VantageError, describeError } from '../core/errors.js';
import { openGpu, type GpuContext } from './device.js';
import { createWebGpuRenderer } from './gpu-renderer.js';
import { createReferenceRenderer } from './reference-renderer.js';

export interface CreateRendererOptions {
  /** 'webgpu' (default): the GPU when there is one, else the reference with a warning; 'reference': always the reference */
  prefer?: 'webgpu' | 'reference';
  /** where the one fallback warning goes (default: a line on stderr) */
  warn?: (line: string) => void;
  /** opens the GPU (default: device.ts openGpu); replaceable to test the fallback */
  openDevice?: () => Promise<GpuContext>;
}

/** Error codes meaning "no usable WebGPU here" (fall back) rather than a bug (rethrow). */
const NO_GPU_CODES = new Set(['no-gpu-adapter', 'webgpu-unavailable', 'gpu-device-failed']);

/** The WebGPU renderer, or the reference renderer (with one warning) when WebGPU has no adapter. */
export async function createRenderer(opts: CreateRendererOptions = {}): Promise<Renderer> {
  if (opts.prefer === 'reference') return createReferenceRenderer();
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  let gpu: GpuContext;
  try {
    gpu = await (opts.openDevice ?? openGpu)();
  } catch (e) {
    if (!(e instanceof VantageError && NO_GPU_CODES.has(e.code))) throw e;
    warn(
      `vantage: rendering with the slow TypeScript reference renderer, because ${describeError(e).replace(/\n\s*/g, '; ')}`,
    );
    return createReferenceRenderer();
  }
  try {
    return await createWebGpuRenderer(gpu);
  } catch (e) {
    gpu.destroy();
    throw e;
  }
}

/** Render one view with defaults (RENDER_DEFAULTS) for any option left out. */
export function renderView(
  renderer: Renderer,
  scene: Scene,
  camera: Camera,
  options: Partial<RenderOptions> = {},
): Promise<RenderedView> {
  return renderer.render(scene, camera, {
    mode: options.mode ?? RENDER_DEFAULTS.mode,
    width: options.width ?? camera.intrinsics.width,
    height: options.height ?? camera.intrinsics.height,
    holes: options.holes ?? RENDER_DEFAULTS.holes,
    ...(options.holeColor ? { holeColor: options.holeColor } : {}),
    ...(options.background ? { background: options.background } : {}),
  });
}
