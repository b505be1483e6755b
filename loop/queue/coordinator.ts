/**
 * The coordinator side of `vantage eval --queue`: a PairExecutor that enqueues every pair still to
 * run as a BullMQ job and hands each finished job's results line to the eval run, which writes it
 * like a local run's (results.jsonl, summary, plot).
 *
 * Nothing is lost and nothing is written twice:
 * - a job's id is derived from the run and the pair, so a restarted coordinator re-adds only what
 *   is missing, and jobs finished while it was away are still there (finished jobs are kept until
 *   their line is on disk, then removed);
 * - a worker killed mid-item loses its lock, and BullMQ runs the job again elsewhere;
 * - a job that fails all its tries (or has a malformed payload) is recorded as an error line, so a
 *   rerun retries it like any error;
 * - a line is recorded once per pair of this run (a job seen twice, by event and by sweep, or left
 *   over after a crash between writing and removing, is only removed).
 * Finished jobs are found through BullMQ's events, and by a sweep every few seconds that catches
 * whatever the events missed (a reconnect, a restart).
 */
import { statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { VantageError } from '../../core/errors.js';
import { MLLM_DEFAULTS } from '../../core/config.js';
import { errorLine, itemFields, type EvalPair, type PairExecutor } from '../eval/run.js';
import type { EvalLine } from '../eval/types.js';
import { QUEUE_DEFAULTS } from './config.js';
import { itemFiles, jobIdOf, portableItem, runIdOf, type JobData, type JobSpec } from './jobs.js';
import { connectRedis, redactRedisUrl } from './redis.js';

export interface QueueExecutorOptions {
  /** redis://HOST:PORT[/DB] */
  queue: string;
  queueName?: string;
  /** tries per job (default QUEUE_DEFAULTS.attempts) */
  attempts?: number;
  sweepMs?: number;
}

const isLine = (v: unknown): v is EvalLine =>
  !!v && typeof v === 'object' && (v as EvalLine).v === 1 && typeof (v as EvalLine).cell === 'string';

/** The deepest folder holding every one of these absolute paths. */
function commonDir(paths: string[]): string {
  if (!paths.length) return process.cwd();
  let parts = dirname(paths[0]).split(sep);
  for (const p of paths.slice(1)) {
    const q = dirname(p).split(sep);
    let i = 0;
    while (i < parts.length && i < q.length && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep) || sep;
}

export function createQueueExecutor(q: QueueExecutorOptions): PairExecutor {
  return {
    async run(pairs, ctx) {
      const o = ctx.options;
      if (o.model.trim() === 'human')
        throw new VantageError('bad-option', 'the human model cannot answer through a queue', 'run it without --queue');
      const name = q.queueName ?? QUEUE_DEFAULTS.name;
      const redis = await connectRedis(q.queue);
      const queue = new Queue(name, { connection: redis as never });
      const events = new QueueEvents(name, { connection: redis.duplicate() as never });
      const out = resolve(o.out);
      const run = runIdOf(out);
      // paths travel relative to this; a worker's --image-root stands for it on that machine
      const oneFile = typeof o.data === 'string' && statSync(o.data, { throwIfNoEntry: false })?.isFile();
      const root = o.imageRoot
        ? resolve(o.imageRoot)
        : oneFile
          ? dirname(resolve(o.data as string))
          : commonDir(pairs.flatMap((p) => itemFiles(p.item)));
      const { apiKey: _key, ...mllm } = o.mllm ?? {};
      const spec: JobSpec = {
        model: o.model,
        ...(o.baseUrl ? { baseUrl: o.baseUrl } : o.env?.OPENAI_BASE_URL ? { baseUrl: o.env.OPENAI_BASE_URL } : {}),
        ...(o.timeout ? { timeout: o.timeout } : {}),
        ...(o.logprobs ? { logprobs: true } : {}),
        ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
        ...(o.topP !== undefined ? { topP: o.topP } : {}),
        ...(o.maxTokens !== undefined ? { maxTokens: o.maxTokens } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        ...(Object.keys(mllm).length ? { mllm } : {}),
        ...(o.depthModel ? { depthModel: o.depthModel } : {}),
        roundZeroOnly: ctx.roundZeroOnly,
        concurrency: o.concurrency ?? MLLM_DEFAULTS.concurrency,
        imageRoot: root,
      };
      const outstanding = new Map<string, EvalPair>(pairs.map((p) => [jobIdOf(run, p.cell.key, p.item.id), p]));
      const collecting = new Set<string>();
      /** collects started by events: awaited before the connection closes */
      const inFlight = new Set<Promise<unknown>>();
      let wake: (() => void) | undefined;
      const nudge = () => wake?.();

      /** Record a finished job of this run (once), then remove it; a job of an earlier, finished pair is only removed. */
      const collect = async (job: Job, state: string) => {
        const id = job.id!;
        if (state !== 'completed' && state !== 'failed') return;
        if (collecting.has(id)) return;
        collecting.add(id);
        try {
          const pair = outstanding.get(id);
          if (pair) {
            const value = job.returnvalue as unknown;
            const line =
              state === 'completed' && isLine(value) && value.cell === pair.cell.key && value.item === pair.item.id
                ? // the item as this machine sees it (the worker's paths are its own)
                  { ...value, ...itemFields(pair.item, out) }
                : errorLine(
                    pair.cell,
                    pair.item,
                    new Error(
                      state === 'failed'
                        ? `job failed after ${job.attemptsMade} tr${job.attemptsMade === 1 ? 'y' : 'ies'}: ${job.failedReason}`
                        : 'the worker returned no results line for this pair',
                    ),
                    0,
                    o.model,
                    out,
                  );
            await ctx.record(line);
            outstanding.delete(id);
          }
          await job.remove().catch(() => {});
        } finally {
          collecting.delete(id);
        }
      };

      const sweep = async () => {
        const prefix = `${run}-`;
        for (const state of ['completed', 'failed'] as const) {
          for (let start = 0; ; start += 500) {
            const jobs = (await queue.getJobs(state, start, start + 499, true)) as Job[];
            for (const j of jobs) if (j?.id?.startsWith(prefix)) await collect(j, state);
            if (jobs.length < 500) break;
          }
        }
      };

      const onFinished = ({ jobId }: { jobId: string }) => {
        if (!outstanding.has(jobId)) return;
        // (a 'failed' event may be a try that will be retried: the job's state decides)
        const p = queue
          .getJob(jobId)
          .then(async (j) => j && collect(j as Job, await j.getState()))
          .then(nudge, () => {})
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      };
      events.on('completed', onFinished);
      events.on('failed', onFinished);
      events.on('error', () => {});
      queue.on('error', () => {});

      try {
        await events.waitUntilReady();
        const attempts = q.attempts ?? QUEUE_DEFAULTS.attempts;
        const jobs = [...outstanding].map(([jobId, p]) => ({
          name: 'pair',
          data: { v: 1, run, cell: p.cell, item: portableItem(p.item, root), spec } satisfies JobData,
          opts: {
            jobId,
            attempts,
            backoff: { type: 'exponential', delay: QUEUE_DEFAULTS.backoffMs },
            removeOnComplete: false,
            removeOnFail: false,
          },
        }));
        for (let i = 0; i < jobs.length; i += QUEUE_DEFAULTS.enqueueBatch)
          await queue.addBulk(jobs.slice(i, i + QUEUE_DEFAULTS.enqueueBatch));
        const workers = await queue.getWorkersCount().catch(() => -1);
        ctx.note(
          `eval: ${jobs.length} job(s) on ${redactRedisUrl(q.queue)} (queue ${name})` +
            (workers === 0
              ? `; no worker is connected yet: start some with vantage worker --queue ${redactRedisUrl(q.queue)}`
              : workers > 0
                ? `; ${workers} worker(s) connected`
                : ''),
        );
        const going = () => outstanding.size > 0 && !o.signal?.aborted && !ctx.stopped();
        const sweepMs = q.sweepMs ?? QUEUE_DEFAULTS.sweepMs;
        let lastSweep = 0;
        while (going()) {
          if (performance.now() - lastSweep >= sweepMs) {
            await sweep();
            lastSweep = performance.now();
            if (!going()) break;
          }
          // events collect jobs as they finish and wake this loop to check; the sweep catches the rest
          await new Promise<void>((done) => {
            const finish = () => {
              clearTimeout(t);
              o.signal?.removeEventListener('abort', finish);
              wake = undefined;
              done();
            };
            const t = setTimeout(finish, Math.max(10, sweepMs - (performance.now() - lastSweep)));
            o.signal?.addEventListener('abort', finish, { once: true });
            wake = finish;
          });
        }
        if (outstanding.size) {
          // stopped early: withdraw the jobs no worker has taken; those in flight finish and stay
          // queued, and the next run on this --out collects them
          for (const id of outstanding.keys()) await queue.remove(id).catch(() => 0);
        }
      } finally {
        events.off('completed', onFinished);
        events.off('failed', onFinished);
        await Promise.allSettled([...inFlight]);
        await events.close().catch(() => {});
        await queue.close().catch(() => {});
        redis.disconnect();
      }
    },
  };
}
