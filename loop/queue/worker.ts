/**
 * `vantage worker`: takes (cell, item) jobs from the queue and runs each through the same pair
 * runner as a local `vantage eval` (loop/eval/run.ts), returning the results line as the job's
 * value; the coordinator writes it. The item's files are read from this machine's --image-root.
 * MLLM responses are cached in the queue's Redis (shared by every worker), and requests toward an
 * endpoint hold slots of a limiter in the same Redis, so the run's --concurrency holds over all
 * workers together.
 *
 * A job whose payload is not a pair of a run fails at once (no retries) and is recorded by its
 * coordinator; the worker goes on. A worker killed mid-item stops renewing its jobs' locks, and
 * BullMQ hands those jobs to another worker once the lock expires.
 */
import { access, constants } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Renderer } from '../../core/types.js';
import { VantageError, describeError } from '../../core/errors.js';
import { createLimiter, type Limiter } from '../../core/mllm/limiter.js';
import { createRenderer, type RendererChoice } from '../../synth/renderer.js';
import { RENDER_PARALLEL } from '../../synth/config.js';
import { createPairRunner, errorLine, type PairRunner } from '../eval/run.js';
import type { EvalLine } from '../eval/types.js';
import { QUEUE_DEFAULTS } from './config.js';
import { itemFiles, localItem, onRoot, parseJobData, type JobSpec } from './jobs.js';
import { redisLimiter } from './limiter.js';
import { connectRedis, redactRedisUrl } from './redis.js';
import { redisResponseStore } from './store.js';

export interface WorkerOptions {
  /** redis://HOST:PORT[/DB] */
  queue: string;
  /** the BullMQ queue's name (default QUEUE_DEFAULTS.name) */
  queueName?: string;
  /** jobs in flight in this process (default 2) */
  concurrency?: number;
  /** where the runs' image paths are found on this machine (default: the coordinator's own path) */
  imageRoot?: string;
  /** the MLLM endpoint as this machine reaches it (default: the run's, else $OPENAI_BASE_URL) */
  baseUrl?: string;
  timeout?: number;
  renderer?: RendererChoice;
  /** renders in flight at once on this machine's GPU (default RENDER_PARALLEL) */
  renders?: number;
  /** a killed worker's jobs run again after this long (default QUEUE_DEFAULTS.lockDurationMs) */
  lockDurationMs?: number;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** stop taking jobs; jobs in flight finish and are returned */
  signal?: AbortSignal;
  /** called once the worker takes jobs */
  onReady?: () => void;
}

export interface WorkerSummary {
  jobs: number;
  errors: number;
  failed: number;
}

/** Runs a worker until the signal is aborted; resolves once the jobs in flight are done. */
export async function runWorker(o: WorkerOptions): Promise<WorkerSummary> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const concurrency = o.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
    throw new VantageError('bad-option', `--concurrency must be a whole number 1..256, got ${o.concurrency}`);
  const lockDuration = o.lockDurationMs ?? QUEUE_DEFAULTS.lockDurationMs;
  if (!Number.isInteger(lockDuration) || lockDuration < 500)
    throw new VantageError('bad-option', `--lock-duration must be a whole number of ms ≥ 500, got ${lockDuration}`);
  const env = o.env ?? process.env;
  const redis = await connectRedis(o.queue);
  const store = redisResponseStore(redis);
  const host = hostname();
  const summary: WorkerSummary = { jobs: 0, errors: 0, failed: 0 };

  let renderer: Promise<Renderer> | undefined;
  const runners = new Map<string, PairRunner>();
  const limiters = new Map<string, Limiter & { close?: () => void }>();

  const limiterFor = (spec: JobSpec, baseUrl: string | undefined): Limiter => {
    // built-in models call no endpoint: a local limit is enough
    const key =
      spec.model.startsWith('builtin:') || !baseUrl
        ? `local:${spec.concurrency}`
        : `${baseUrl}\u0000${spec.concurrency}`;
    let l = limiters.get(key);
    if (!l) {
      l = key.startsWith('local:')
        ? createLimiter(spec.concurrency)
        : redisLimiter(redis, { key: baseUrl!, limit: spec.concurrency });
      limiters.set(key, l);
    }
    return l;
  };

  const runnerFor = async (spec: JobSpec): Promise<PairRunner> => {
    const baseUrl = o.baseUrl ?? spec.baseUrl ?? env.OPENAI_BASE_URL;
    const key = JSON.stringify([
      spec.model,
      baseUrl,
      spec.timeout,
      spec.logprobs,
      spec.temperature,
      spec.topP,
      spec.maxTokens,
      spec.seed,
      spec.mllm,
      spec.depthModel,
      spec.roundZeroOnly,
      spec.concurrency,
    ]);
    let r = runners.get(key);
    if (!r) {
      // one renderer for the process, made when the first run that renders views comes
      if (!spec.roundZeroOnly)
        renderer ??= createRenderer({ prefer: o.renderer, warn: log, parallel: o.renders ?? RENDER_PARALLEL });
      r = createPairRunner({
        model: spec.model,
        baseUrl,
        timeout: o.timeout ?? spec.timeout,
        logprobs: spec.logprobs,
        temperature: spec.temperature,
        topP: spec.topP,
        maxTokens: spec.maxTokens,
        seed: spec.seed,
        mllm: spec.mllm,
        env,
        limiter: limiterFor(spec, baseUrl),
        concurrency: spec.concurrency,
        responseStore: store,
        depthModel: spec.depthModel,
        roundZeroOnly: spec.roundZeroOnly,
        renderer: renderer ? await renderer : undefined,
        // no trace folders: the run's folder is on the coordinator's machine
        logSamples: false,
        note: log,
      });
      runners.set(key, r);
    }
    return r;
  };

  const process_ = async (job: Job): Promise<EvalLine> => {
    const data = parseJobData(job.data);
    if (typeof data === 'string') {
      summary.failed++;
      log(`worker: job ${job.id}: malformed payload (${data}): failed without retries`);
      throw new UnrecoverableError(`malformed job payload: ${data}`);
    }
    const root = o.imageRoot ? resolve(o.imageRoot) : data.spec.imageRoot;
    const item = localItem(data.item, root);
    const t0 = performance.now();
    let line: EvalLine | undefined;
    for (const f of itemFiles(data.item)) {
      const at = onRoot(root, f);
      try {
        await access(at, constants.R_OK);
      } catch (e) {
        const err = new VantageError(
          'worker-files',
          `worker ${host} cannot read ${f} as ${at} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}): start the worker with --image-root set to where the data's images are on this machine`,
        );
        line = errorLine(data.cell, item, err, 0, data.spec.model);
        break;
      }
    }
    if (!line) {
      const runner = await runnerFor(data.spec);
      line = await runner.run({ cell: data.cell, item });
    }
    summary.jobs++;
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    if (line.status === 'error') {
      summary.errors++;
      log(`worker: ${item.id} [${data.cell.label}]: error: ${line.error}`);
    } else {
      log(
        `worker: ${item.id} [${data.cell.label}]: ${line.final || '-'} (${line.correct ? 'right' : 'wrong'}), ${seconds}s`,
      );
    }
    return line;
  };

  const queueName = o.queueName ?? QUEUE_DEFAULTS.name;
  const worker = new Worker(queueName, process_, {
    connection: redis as never,
    concurrency,
    lockDuration,
    stalledInterval: Math.min(lockDuration, QUEUE_DEFAULTS.lockDurationMs),
    maxStalledCount: 1,
    name: `${host}:${process.pid}`,
    autorun: false,
  });
  worker.on('error', (e) => log(`worker: ${describeError(e).split('\n')[0]}`));

  const stopped = new Promise<void>((done) => {
    if (o.signal?.aborted) return done();
    o.signal?.addEventListener('abort', () => done(), { once: true });
  });
  try {
    const running = worker.run();
    await worker.waitUntilReady();
    log(
      `worker: taking jobs from ${redactRedisUrl(o.queue)} (queue ${queueName}), ${concurrency} at a time, on ${host}` +
        `${o.imageRoot ? `, image root ${resolve(o.imageRoot)}` : ''}`,
    );
    o.onReady?.();
    await Promise.race([stopped, running]);
  } finally {
    await worker.close();
    for (const r of runners.values()) r.close();
    for (const l of limiters.values()) l.close?.();
    if (renderer) (await renderer.catch(() => undefined))?.dispose();
    redis.disconnect();
  }
  return summary;
}
