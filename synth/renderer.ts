/**
 * Picking a renderer (the one definition of `--renderer auto | webgpu | reference`):
 * - 'auto' (default): WebGPU when an adapter exists, else the TypeScript reference renderer with one
 *   warning line saying why (it is ~100× slower, so a user should know);
 * - 'webgpu': WebGPU or an error saying why there is none;
 * - 'reference': the reference renderer, always.
 * WebGPU renderers borrow a device: the one passed as `gpu`, else the process's shared device
 * (synth/device.ts), and never destroy it.
 */
import type { Renderer, Scene } from '../core/types.js';
import { NoGpuError, VantageError, describeError } from '../core/errors.js';
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
  /**
   * Renders in flight at once (default 1; RENDER_PARALLEL is the setting sized to the cores): that
   * many WebGPU renderers on the one device, each render going to the least busy.
   */
  parallel?: number;
}

/** The renderer `opts.prefer` names (see the file comment). */
export async function createRenderer(opts: CreateRendererOptions = {}): Promise<Renderer> {
  const choice = opts.prefer ?? 'auto';
  if (choice === 'reference') return createReferenceRenderer();
  const parallel = opts.parallel ?? 1;
  if (!(Number.isInteger(parallel) && parallel >= 1 && parallel <= 64)) {
    throw new VantageError('bad-option', `renders in parallel must be a whole number 1..64, got ${parallel}`);
  }
  const onDevice = async (gpu: GpuContext, ownsDevice: boolean): Promise<Renderer> => {
    const first = await createWebGpuRenderer(gpu, { ownsDevice });
    if (parallel === 1) return first;
    const more = await Promise.all(Array.from({ length: parallel - 1 }, () => createWebGpuRenderer(gpu)));
    return pooledRenderer([...more, first]); // the owner last: disposed after the borrowers
  };
  if (opts.gpu) return onDevice(opts.gpu, false);
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  let gpu: GpuContext;
  try {
    gpu = await (opts.openDevice ?? sharedGpu)();
  } catch (e) {
    // no usable WebGPU here: fall back unless the GPU was asked for; anything else is a bug
    if (choice === 'webgpu' || !(e instanceof NoGpuError)) throw e;
    warn(
      `vantage: rendering with the slow TypeScript reference renderer, because ${describeError(e).replace(/\n\s*/g, '; ')}`,
    );
    return createReferenceRenderer();
  }
  const ownsDevice = opts.openDevice !== undefined;
  try {
    return await onDevice(gpu, ownsDevice);
  } catch (e) {
    if (ownsDevice) gpu.destroy();
    throw e;
  }
}

/**
 * Several renderers behind one: each render goes to the one with the fewest renders in flight,
 * preferring (on a tie) the one that rendered the same scene last, whose GPU copy of it is cached.
 */
export function pooledRenderer(renderers: Renderer[]): Renderer {
  const busy = renderers.map(() => 0);
  const lastScene = renderers.map((): Scene | undefined => undefined);
  const pick = (scene: Scene): number => {
    let best = 0;
    for (let i = 1; i < renderers.length; i++) {
      const better =
        busy[i] < busy[best] || (busy[i] === busy[best] && lastScene[i] === scene && lastScene[best] !== scene);
      if (better) best = i;
    }
    return best;
  };
  return {
    kind: renderers[0].kind,
    async render(scene, camera, options) {
      const i = pick(scene);
      busy[i]++;
      lastScene[i] = scene;
      try {
        return await renderers[i].render(scene, camera, options);
      } finally {
        busy[i]--;
      }
    },
    async prepare(scene) {
      const i = pick(scene);
      lastScene[i] = scene;
      await renderers[i].prepare?.(scene);
    },
    dispose() {
      for (const r of renderers) r.dispose();
    },
  };
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
