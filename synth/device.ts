/**
 * The one owner of WebGPU (Dawn's Node binding, the `webgpu` package): instance, adapter, device.
 *
 * All three stay referenced from the returned GpuContext for its whole life: if Dawn's instance or
 * adapter is garbage-collected while a mapAsync is pending, the process crashes inside Dawn
 * (docs/design.md, "Known pitfalls"). Whoever holds the context keeps them alive.
 *
 * Errors: WebGPU reports validation / out-of-memory / internal errors asynchronously. `runChecked`
 * wraps a piece of GPU work in error scopes and throws a VantageError when any was raised; errors
 * outside scopes are caught by onuncapturederror and thrown at the next checked call.
 *
 * Lending: `sharedGpu()` is the process's one device, opened on first use and kept for the life of
 * the process; renderers made on it (or on a context a caller passes in) borrow it and never destroy
 * it, so rendering many views, or several renderers at once, opens one device. A context from
 * `openGpu()` is the caller's to destroy.
 */
// the declarations name WebGPU's globals (GPUDevice …): a consumer's compiler finds them through this
/// <reference types="webgpu" preserve="true" />
import { NoGpuError, VantageError } from '../core/errors.js';
import { gpuWait } from './gpu-wait.js';

/** The numeric constants of WebGPU (GPUBufferUsage, GPUMapMode) as this binding exports them. */
export interface GpuConstants {
  usage: { MAP_READ: number; COPY_SRC: number; COPY_DST: number; UNIFORM: number; STORAGE: number };
  mapRead: number;
}

export interface GpuContext {
  /** Dawn's instance: held so it outlives every pending map (see the file comment) */
  readonly gpu: GPU;
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly constants: GpuConstants;
  /** "vendor architecture (description)" of the adapter, for traces and warnings */
  readonly description: string;
  /** Run GPU work inside error scopes; throws a VantageError for the first error raised. */
  runChecked<T>(what: string, work: () => Promise<T> | T): Promise<T>;
  /** Throws if the device is lost or raised an error outside a scope. */
  assertHealthy(): void;
  /** Await a promise Dawn settles without Dawn's busy poll (synth/gpu-wait.ts). */
  wait<T>(work: Promise<T>): Promise<T>;
  /** whether the device was lost (a lost device never comes back: open another) */
  readonly lost: boolean;
  /** Destroy the device: only its owner (whoever called openGpu) may. */
  destroy(): void;
}

const NO_ADAPTER_HINT =
  'WebGPU needs a GPU driver. On Linux without a GPU install Mesa >= 23 lavapipe (Vulkan on the CPU), ' +
  'e.g. on Debian 12: apt-get install -t bookworm-backports mesa-vulkan-drivers';

/** Limits worth raising above the WebGPU defaults, to what the adapter supports. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
] as const;

/**
 * Open the WebGPU device. Throws NoGpuError 'webgpu-unavailable' when the binding cannot load,
 * 'no-gpu-adapter' when no adapter exists and 'gpu-device-failed' when the adapter will not open a
 * device (callers may fall back to the reference renderer on any of the three).
 */
export async function openGpu(options: { powerPreference?: GPUPowerPreference } = {}): Promise<GpuContext> {
  let mod: typeof import('webgpu');
  try {
    mod = await import('webgpu');
  } catch (e) {
    throw new NoGpuError(
      'webgpu-unavailable',
      `the WebGPU binding (npm package "webgpu") did not load: ${(e as Error).message}`,
      'reinstall dependencies on this platform (npm ci); the package ships prebuilt Dawn binaries',
      { cause: e },
    );
  }
  const gpu = mod.create([]);
  const adapter = await gpuWait(gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' }));
  if (!adapter) {
    throw new NoGpuError(
      'no-gpu-adapter',
      'WebGPU found no GPU adapter (Dawn enumerated no usable Vulkan/Metal/D3D device)',
      NO_ADAPTER_HINT,
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups'] : [];
  let device: GPUDevice;
  try {
    device = await gpuWait(adapter.requestDevice({ requiredLimits, requiredFeatures }));
  } catch (e) {
    throw new NoGpuError(
      'gpu-device-failed',
      `the GPU adapter (${adapter.info?.description || adapter.info?.vendor || 'unknown'}) refused to open a device: ${(e as Error).message}`,
      NO_ADAPTER_HINT,
      { cause: e },
    );
  }

  const g = mod.globals as { GPUBufferUsage: GpuConstants['usage']; GPUMapMode: { READ: number } };
  const constants: GpuConstants = { usage: g.GPUBufferUsage, mapRead: g.GPUMapMode.READ };
  const info = adapter.info;
  const description =
    [info?.vendor, info?.architecture].filter(Boolean).join(' ') + (info?.description ? ` (${info.description})` : '');

  let pending: Error | undefined;
  let lost: string | undefined;
  device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
    pending ??= new VantageError('gpu-error', `WebGPU error: ${ev.error.message}`);
  };
  void device.lost.then((info) => {
    lost = `${info.reason}: ${info.message}`;
  });

  const assertHealthy = (): void => {
    if (lost !== undefined)
      throw new VantageError('gpu-lost', `the WebGPU device was lost (${lost})`, 'create a new renderer');
    if (pending) {
      const e = pending;
      pending = undefined;
      throw e;
    }
  };

  const runChecked = async <T>(what: string, work: () => Promise<T> | T): Promise<T> => {
    assertHealthy();
    const scopes: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];
    for (const s of scopes) device.pushErrorScope(s);
    let result: T | undefined;
    let thrown: unknown;
    try {
      result = await work();
    } catch (e) {
      thrown = e;
    }
    // Pop every scope even after a throw, innermost first, so the stack stays balanced.
    const errors: (GPUError | null)[] = [];
    for (let k = scopes.length - 1; k >= 0; k--) errors.push(await gpuWait(device.popErrorScope()));
    if (thrown !== undefined) throw thrown;
    const err = errors.find((e): e is GPUError => e !== null);
    if (err) {
      const kind = err.constructor?.name ?? 'GPUError';
      throw new VantageError(
        'gpu-error',
        `WebGPU ${kind} while ${what}: ${err.message}`,
        kind === 'GPUOutOfMemoryError' ? 'render fewer splats or a smaller image' : undefined,
      );
    }
    assertHealthy();
    return result as T;
  };

  return {
    gpu,
    adapter,
    device,
    constants,
    description,
    runChecked,
    assertHealthy,
    wait: gpuWait,
    get lost() {
      return lost !== undefined;
    },
    destroy: () => device.destroy(),
  };
}

let shared: Promise<GpuContext> | undefined;

/**
 * The process's one GPU device, opened on first use (with `open`, default openGpu) and kept until
 * the process ends; a lost device is replaced at the next call. Borrow it: never destroy it.
 * Failing to open is not cached, so a later call tries again.
 */
export async function sharedGpu(open: () => Promise<GpuContext> = openGpu): Promise<GpuContext> {
  const current = shared;
  if (current) {
    const ctx = await current.catch(() => undefined);
    if (ctx && !ctx.lost) return ctx;
    if (shared === current) shared = undefined;
  }
  shared ??= open().catch((e: unknown) => {
    shared = undefined;
    throw e;
  });
  return shared;
}
