/**
 * The evaluation job queue (loop/queue) against the eval bench's local endpoint of fixed latency,
 * with a private redis-server and real `vantage worker` processes (dist/): throughput with 1, 2 and
 * 4 workers of 2 items each under a run limit of 8 requests in flight, as a fraction of the
 * endpoint-bound limit 8 / (calls × latency); and the queue's cost per item against a local run
 * with an endpoint that answers at once (enqueue, fetch, lock, return, collect, write).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEval, type EvalOptions } from '../loop/eval/run.js';
import { createQueueExecutor } from '../loop/queue/coordinator.js';
import { connectRedis } from '../loop/queue/redis.js';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import { questionSet, startServer } from './eval.js';
import type { BenchFigure } from './run.js';

const LATENCY_MS = 100;
const LIMIT = 8;
const PER_WORKER = 2;
const ITEMS = 48;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli.js');

const freePort = () =>
  new Promise<number>((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });

async function startRedis(): Promise<{ url: string; stop: () => void }> {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0)
    throw new Error('redis-server is not installed: skipped');
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      (await connectRedis(url)).disconnect();
      break;
    } catch (e) {
      if (i > 100) {
        child.kill('SIGKILL');
        throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, stop: () => child.kill('SIGKILL') };
}

async function startWorkers(url: string, n: number, concurrency: number): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ChildProcess>((res, rej) => {
          const w = spawn(
            process.execPath,
            [cli, 'worker', '--queue', url, '--concurrency', String(concurrency), '--renderer', 'reference'],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
          let err = '';
          w.stderr!.on('data', (d) => {
            err += String(d);
            if (err.includes('taking jobs')) res(w);
          });
          w.once('exit', () => rej(new Error(`worker exited: ${err.trim()}`)));
        }),
    ),
  );
}

async function stopWorkers(ws: ChildProcess[]): Promise<void> {
  await Promise.all(
    ws.map(
      (w) =>
        new Promise<void>((res) => {
          w.removeAllListeners('exit');
          if (w.exitCode !== null) return res();
          w.once('exit', () => res());
          w.kill('SIGKILL');
        }),
    ),
  );
}

export async function benchQueue(): Promise<BenchFigure[]> {
  const redis = await startRedis();
  const dir = await mkdtemp(join(tmpdir(), 'vantage-bench-queue-'));
  const slow = await startServer(LATENCY_MS);
  const instant = await startServer(0);
  const renderer = createReferenceRenderer();
  const figures: BenchFigure[] = [];
  // every item its own question and picture: repeats would be answered by the queue's shared cache
  const data = await questionSet(dir, ITEMS, { base: ITEMS });
  /** items/s from the start of the run to its last line; a new model name each time keeps the shared cache out */
  const rate = async (o: Partial<EvalOptions> & { baseUrl: string; out: string; model: string }) => {
    const t0 = performance.now();
    let tLast = t0;
    const s = await runEval({
      data,
      format: 'native',
      env: {},
      rounds: 1,
      stop: 'fixed',
      size: '64x48',
      render: 'points',
      renderer,
      progress: 'none',
      png: false,
      log: () => {},
      logSamples: false,
      onLine: () => {
        tLast = performance.now();
      },
      ...o,
    });
    if (s.pending || s.cells[0].errors) throw new Error(`${o.out}: ${s.pending} pending, ${s.cells[0].errors} errors`);
    return ITEMS / ((tLast - t0) / 1000);
  };
  try {
    const calls = 3; // round-0 answer, controller, answer
    const bound = LIMIT / (calls * (LATENCY_MS / 1000));
    for (const n of [1, 2, 4]) {
      const workers = await startWorkers(redis.url, n, PER_WORKER);
      try {
        const r = await rate({
          baseUrl: slow.url,
          model: `bench-queue-${n}`,
          out: join(dir, `w${n}`),
          concurrency: LIMIT,
          executor: createQueueExecutor({ queue: redis.url, sweepMs: 500 }),
        });
        figures.push({
          name: `eval --queue, ${n} worker process(es) × ${PER_WORKER} items (endpoint latency ${LATENCY_MS} ms, run limit ${LIMIT} requests)`,
          value: r,
          unit: 'items/s',
          note: `${((100 * r) / bound).toFixed(0)}% of the endpoint-bound limit ${LIMIT}/(${calls} calls × ${LATENCY_MS} ms) = ${bound.toFixed(1)} items/s; ${ITEMS} distinct items, 1 view (64×48) each; workers, coordinator and endpoint on this machine`,
        });
      } finally {
        await stopWorkers(workers);
      }
    }
    if (slow.maxInFlight > LIMIT) throw new Error(`the run limit did not hold: ${slow.maxInFlight} requests in flight`);

    const local = await rate({
      baseUrl: instant.url,
      model: 'bench-local',
      out: join(dir, 'local'),
      concurrency: LIMIT,
    });
    const workers = await startWorkers(redis.url, 1, LIMIT);
    let queued: number;
    try {
      queued = await rate({
        baseUrl: instant.url,
        model: 'bench-queued',
        out: join(dir, 'queued'),
        concurrency: LIMIT,
        executor: createQueueExecutor({ queue: redis.url, sweepMs: 500 }),
      });
    } finally {
      await stopWorkers(workers);
    }
    figures.push({
      name: `queue overhead per item (endpoint answering at once, ${LIMIT} in flight, 1 worker)`,
      value: 1000 / queued - 1000 / local,
      unit: 'ms',
      note: `${(1000 / queued).toFixed(1)} ms per item through the queue vs ${(1000 / local).toFixed(1)} ms in one process (${queued.toFixed(0)} vs ${local.toFixed(0)} items/s); the worker is a second process, so with a core to spare the difference can be negative`,
    });
  } finally {
    renderer.dispose();
    await slow.close();
    await instant.close();
    redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}

/** `node dist/bench/queue.js` prints the figures alone. */
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  benchQueue().then(
    (f) => {
      for (const x of f) process.stdout.write(`${x.name}: ${x.value.toFixed(2)} ${x.unit} (${x.note})\n`);
    },
    (e: Error) => {
      process.stderr.write(`bench queue failed: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
