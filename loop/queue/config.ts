/** Tunables of the evaluation job queue (loop/queue). */
export const QUEUE_DEFAULTS = {
  /** the BullMQ queue every coordinator and worker uses unless told otherwise (--queue-name) */
  name: 'vantage-eval',
  /** tries per job: a job that throws (not an item's error, which is a results line) runs again */
  attempts: 3,
  /** first back-off between tries (exponential) */
  backoffMs: 2000,
  /**
   * a job's lock: a worker killed mid-item stops renewing it, and after this long the job is
   * "stalled" and runs again on another worker (BullMQ's default)
   */
  lockDurationMs: 30_000,
  /** jobs added per round trip when a run is enqueued */
  enqueueBatch: 500,
  /** the coordinator looks for finished jobs at least this often (events wake it sooner) */
  sweepMs: 2000,
  /** the MLLM response cache shared by every worker: one Redis hash */
  cacheKey: 'vantage:mllm-cache',
  /** endpoint limiters: a sorted set of leases per endpoint under this prefix */
  limiterPrefix: 'vantage:limiter:',
  /** a request slot's lease, renewed while the request runs; a killed worker's slots free after it */
  leaseMs: 10_000,
  /** how often a waiting request asks for a slot again */
  limiterPollMs: 10,
} as const;
