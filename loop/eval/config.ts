/** Tunables of `vantage eval`. */

/** `vantage eval` (loop/eval). */
export const EVAL_DEFAULTS = {
  /** errors in a row, with no success yet in this run, after which it stops: the setup is wrong, not an item */
  failFastAfter: 6,
  /** parquet rows read per batch (image columns make rows large) */
  parquetBatchRows: 32,
  /** plain progress lines (stderr not a terminal): at most one per this many ms, and the last */
  progressIntervalMs: 5000,
  /** runs with fewer (cell, item) pairs than this write every pair's trace folder unless told otherwise */
  logSamplesBelow: 1000,
  /** images per request the model accepts, unless the MLLM settings say otherwise (the image budget limits views, not this) */
  modelImageLimit: 16,
} as const;
