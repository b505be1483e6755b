/**
 * Waiting for the GPU without spinning. While an operation is pending, Dawn's Node binding polls it
 * by calling the global `setImmediate` with a native callback, over and over: ≈104,000 calls in one
 * 1M-splat frame, most of a core that lavapipe (Vulkan on the CPU) needs to do the rendering
 * (docs/design.md, "Known pitfalls"). While a wait started here is pending, Dawn's re-arms go
 * through setImmediate for the first GPU_WAIT.spinMs (a real GPU is usually done by then, so no
 * latency is added) and then on a GPU_WAIT.pollMs timer. Calls from JavaScript code, and any call
 * while no wait is pending, are untouched (a bound function also reads as native, so one passed to
 * setImmediate during a GPU wait may run up to a millisecond later). Measured on lavapipe, 2 cores:
 * 1M splats at 1024², A/B alternated, the timer took 0.4× the wall time and 0.61× the CPU time.
 * Owning the device in a worker thread was the alternative; the timer needs no copy of the scene
 * or the images across threads.
 */
import { promisify } from 'node:util';
import { GPU_WAIT } from './config.js';

let pending = 0;
let since = 0;
let installed = false;
let spinOnly = false;

/** Benchmarks only: `true` leaves Dawn's polling as it is by itself (busy), to measure what the timer saves. */
export function letDawnSpin(on: boolean): void {
  spinOnly = on;
}

const isNative = (fn: unknown): boolean =>
  typeof fn === 'function' && Function.prototype.toString.call(fn).endsWith('{ [native code] }');

function install(): void {
  if (installed) return;
  installed = true;
  const original = globalThis.setImmediate;
  const patched = (fn: (...a: unknown[]) => void, ...args: unknown[]) => {
    if (pending > 0 && !spinOnly && performance.now() - since >= GPU_WAIT.spinMs && isNative(fn)) {
      // Dawn ignores what setImmediate returns; a Timeout serves it the same.
      return setTimeout(fn, GPU_WAIT.pollMs, ...args) as unknown as NodeJS.Immediate;
    }
    return original(fn, ...args);
  };
  Object.defineProperty(patched, promisify.custom, { value: promisify(original) });
  globalThis.setImmediate = patched as typeof setImmediate;
}

/** Await a promise that Dawn settles (mapAsync, onSubmittedWorkDone, pipelines, error scopes). */
export async function gpuWait<T>(work: Promise<T>): Promise<T> {
  install();
  if (pending++ === 0) since = performance.now();
  try {
    return await work;
  } finally {
    pending--;
  }
}
