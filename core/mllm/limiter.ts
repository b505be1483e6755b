/**
 * A concurrency limit for MLLM requests. Create one per process (or per endpoint) and pass the
 * same object to every client: the limit is then shared by all callers, with no module-level state.
 * Each HTTP attempt holds a slot; back-off sleeps between retries do not.
 */
import pLimit from 'p-limit';
import { VantageError } from '../errors.js';

export interface Limiter {
  /** Runs `fn` once a slot is free; resolves or rejects with its result. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  readonly concurrency: number;
  /** Calls running now. */
  readonly activeCount: number;
  /** Calls waiting for a slot. */
  readonly pendingCount: number;
}

export function createLimiter(concurrency: number): Limiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new VantageError(
      'mllm-config',
      `MLLM concurrency must be a whole number ≥ 1, got ${concurrency}.`,
      'Pass --concurrency 1 (or more).',
    );
  }
  const limit = pLimit(concurrency);
  return {
    run: <T>(fn: () => Promise<T>) => limit(fn),
    concurrency,
    get activeCount() {
      return limit.activeCount;
    },
    get pendingCount() {
      return limit.pendingCount;
    },
  };
}
