/**
 * Picking a renderer (the one definition of `--renderer auto | webgpu | reference`):
 * - 'auto' (default): WebGPU when an adapter exists, else the TypeScript reference renderer with one
 *   warning line saying why (it is ~100× slower, so a user should know);
 * - 'webgpu': WebGPU or an error saying why there is none;
 * - 'reference': the reference renderer, always.
 * WebGPU renderers borrow a device: the one passed as `gpu`, else the process's shared device
 * (synth/device.ts), and never destroy it.
 */
import type { Renderer } from '../core/types.js';
import { VantageError, describeError } from '../core/errors.js';
import { sharedGpu, type GpuContext } from './device.js';
import { createWebGpuRenderer } from './gpu-renderer.js';
import { createReferenceRenderer } from './reference-renderer.js';

export const RENDERER_CHOICES = ['auto', 'webgpu', 'reference'] as const;
export type RendererChoice = (typeof RENDERER_CHOICES)[number];
/** The help text of every `--renderer` option. */
export const RENDERER_CHOICE_HELP = 'auto (WebGPU, else the reference renderer) | webgpu | reference';

/** A renderer choice from user input, or a one-line error naming the choices. */
export function parseRendererChoice(value: string | undefined, what = '--renderer'): RendererChoice {
  if (value === undefined) return 'auto';
  if ((RENDERER_CHOICES as readonly string[]).includes(value)) return value as RendererChoice;
  throw new VantageError('bad-option', `${what} must be one of ${RENDERER_CHOICES.join(', ')}, got "${value}"`);
}

export interface CreateRendererOptions {
  /** which renderer (default 'auto', see the file comment) */
  prefer?: RendererChoice;
  /** a device to borrow (from openGpu() or sharedGpu()); the renderer never destroys it */
  gpu?: GpuContext;
  /** where the one fallback warning goes (default: a line on stderr) */
  warn?: (line: string) => void;
  /** opens a device the renderer then owns (default: borrow sharedGpu()); replaceable to test the fallback */
  openDevice?: () => Promise<GpuContext>;
}

/** Error codes meaning "no usable WebGPU here" (fall back) rather than a bug (rethrow). */
const NO_GPU_CODES = new Set(['no-gpu-adapter', 'webgpu-unavailable', 'gpu-device-failed']);

/** The renderer `opts.prefer` names (see the file comment). */
export async function createRenderer(opts: CreateRendererOptions = {}): Promise<Renderer> {
  const choice = opts.prefer ?? 'auto';
  if (choice === 'reference') return createReferenceRenderer();
  if (opts.gpu) return createWebGpuRenderer(opts.gpu);
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  let gpu: GpuContext;
  try {
    gpu = await (opts.openDevice ?? sharedGpu)();
  } catch (e) {
    if (choice === 'webgpu' || !(e instanceof VantageError && NO_GPU_CODES.has(e.code))) throw e;
    warn(
      `vantage: rendering with the slow TypeScript reference renderer, because ${describeError(e).replace(/\n\s*/g, '; ')}`,
    );
    return createReferenceRenderer();
  }
  const ownsDevice = opts.openDevice !== undefined;
  try {
    return await createWebGpuRenderer(gpu, { ownsDevice });
  } catch (e) {
    if (ownsDevice) gpu.destroy();
    throw e;
  }
}

const defaults = new Map<RendererChoice, Promise<Renderer>>();

/**
 * The process's renderer for a choice, made on first use and kept (with its compiled pipelines and
 * uploaded scenes): what the library's renderView and answer use when given no renderer, so that
 * calling them in a loop neither opens a device nor compiles the shaders per call. Never dispose it.
 */
export function defaultRenderer(prefer: RendererChoice = 'auto', warn?: (line: string) => void): Promise<Renderer> {
  let r = defaults.get(prefer);
  if (!r) {
    r = createRenderer({ prefer, warn }).catch((e: unknown) => {
      defaults.delete(prefer);
      throw e;
    });
    defaults.set(prefer, r);
  }
  return r;
}
