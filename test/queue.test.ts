/**
 * The evaluation job queue with a real Redis (a private redis-server) and real worker processes
 * (the built `vantage worker`), against a local OpenAI-compatible server:
 * - a run across two workers writes the same results and summary as the local run, the endpoint
 *   limit holds over both workers, and a rerun anywhere is answered from the shared cache;
 * - a worker and the coordinator killed with SIGKILL mid-run: a restarted coordinator (and a new
 *   worker) completes the run, no pair written twice;
 * - Redis unreachable: one clear error line from `vantage eval --queue` and `vantage worker`;
 * - a malformed job payload: recorded as that pair's error, the worker goes on.
 * And the Redis pieces on their own: the limiter's bound and its leases, the client's shapes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { writeQuestionSet } from '../fixtures/dataset.js';
import { generateQuestions } from '../fixtures/questions.js';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import type { Renderer } from '../core/types.js';
import { runEval, type EvalOptions } from '../loop/eval/run.js';
import type { EvalLine } from '../loop/eval/types.js';
import { createQueueExecutor } from '../loop/queue/coordinator.js';
import { QUEUE_DEFAULTS } from '../loop/queue/config.js';
import { redisLimiter } from '../loop/queue/limiter.js';
import { connectRedis } from '../loop/queue/redis.js';
import { builtPathOf, ensureBuilt, REPO_ROOT } from './support/built-dist.js';
import { startOpenAIServer, type BrainRequest, type OpenAIServer } from './support/openai-server.js';
import { describeRedis, freePort, startRedis, type TestRedis } from './support/redis-server.js';

const CLI = builtPathOf('src/cli.ts');
let dir: string;
let jsonl: string;
let redis: TestRedis;
let renderer: Renderer;
const servers: OpenAIServer[] = [];
const children = new Set<ChildProcess>();

/** Scripted model: an orbit for the controller; "banana" (no option) for count questions, else "A". */
function brain(req: BrainRequest) {
  const name = (req.responseFormat as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
  if (name === 'controller')
    return {
      action: 'view',
      pose: { mode: 'orbit', azimuth_deg: 40, elevation_deg: 15, distance_scale: 1 },
      reason: 'look from the side',
    };
  const counting = req.texts.some((t) => t.includes('How many objects'));
  return { choice: counting ? 'banana' : 'A', confidence: 0.8, rationale: `saw ${req.images.length} image(s)` };
}

const chats = (s: OpenAIServer) => s.requests.filter((r) => r.path === '/v1/chat/completions').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rawLines(path: string): Promise<EvalLine[]> {
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as EvalLine);
}

/**
 * A line without what differs from run to run: timings, the clock, and how many calls a cache
 * answered (the queue's shared cache can answer cell rounds=1's round 0 with cell rounds=0's reply
 * when that finished first; the local run here has no cache).
 */
const comparable = ({ seconds: _s, at: _a, cachedCalls: _c, ...rest }: EvalLine) => rest;
const byPair = (ls: EvalLine[]) =>
  Object.fromEntries(
    ls.map((l) => [`${l.cell}|${l.item}`, comparable(l)] as const).sort(([a], [b]) => a.localeCompare(b)),
  );
/** summary.csv without its seconds and cached-calls columns (see `comparable`). */
const withoutSeconds = (csv: string) => {
  const head = csv.split('\n')[0].split(',');
  const drop = new Set([head.indexOf('seconds'), head.indexOf('cached_calls')]);
  return csv
    .split('\n')
    .map((row) =>
      row
        .split(',')
        .filter((_, k) => !drop.has(k))
        .join(','),
    )
    .join('\n');
};

interface Spawned {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OPENAI_API_KEY: 'sk-local', VANTAGE_DEBUG: '', ...env },
  });
  children.add(child);
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number | null>((res) =>
    child.on('exit', (code) => {
      children.delete(child);
      res(code);
    }),
  );
  return { child, stderr: () => stderr, exited };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function startWorker(args: string[] = []): Promise<Spawned> {
  const w = spawnCli(['worker', '--queue', redis.url, '--renderer', 'reference', '--lock-duration', '1500', ...args]);
  await until('the worker to start', () => {
    if (w.child.exitCode !== null) throw new Error(`worker exited: ${w.stderr()}`);
    return w.stderr().includes('taking jobs');
  });
  return w;
}

function evalOptions(server: OpenAIServer, out: string, extra: Partial<EvalOptions> = {}): EvalOptions {
  return {
    data: jsonl,
    format: 'native',
    model: 'test-model',
    out,
    baseUrl: server.url,
    env: {},
    grid: 'rounds=0,1',
    stop: 'fixed',
    size: '64x48',
    render: 'points',
    concurrency: 2,
    renderer,
    progress: 'none',
    png: false,
    log: () => {},
    ...extra,
  };
}

describeRedis('the evaluation job queue (real Redis, real workers)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vantage-queue-'));
    ({ jsonl } = await writeQuestionSet(join(dir, 'set'), generateQuestions({ count: 8, seed: 11 }), {
      width: 64,
      height: 48,
    }));
    renderer = createReferenceRenderer();
    [redis] = await Promise.all([
      startRedis(),
      ensureBuilt(['src/cli.ts', 'src/commands/worker.ts', 'loop/queue/worker.ts', 'loop/queue/coordinator.ts']),
    ]);
  });
  afterEach(async () => {
    // a failed test must not leave workers taking the next test's jobs
    const left = [...children];
    for (const c of left) c.kill('SIGKILL');
    await until('left-over processes to exit', () => children.size === 0, 10_000);
  });
  afterAll(async () => {
    renderer?.dispose();
    await Promise.all(servers.map((s) => s.close()));
    await redis?.stop();
  });

  it('runs across two workers with the same results and summary as a local run, the endpoint limit over both, and a free rerun', async () => {
    const local = await startOpenAIServer({ brain, latencyMs: 20 });
    const remote = await startOpenAIServer({ brain, latencyMs: 40 });
    servers.push(local, remote);
    // (queued runs write no trace folders: the workers' machines cannot write into --out)
    const localRun = await runEval(evalOptions(local, join(dir, 'runs', 'local'), { logSamples: false }));
    expect(localRun.pending).toBe(0);

    const workers = await Promise.all([startWorker(['--concurrency', '3']), startWorker(['--concurrency', '3'])]);
    const out = join(dir, 'runs', 'queued');
    const queued = await runEval(
      evalOptions(remote, out, { executor: createQueueExecutor({ queue: redis.url, sweepMs: 500 }) }),
    );
    expect(queued.pending).toBe(0);
    expect(queued.ranNow).toBe(16);
    const lines = await rawLines(join(out, 'results.jsonl'));
    expect(lines).toHaveLength(16);
    expect(byPair(lines)).toEqual(byPair(await rawLines(join(dir, 'runs', 'local', 'results.jsonl'))));
    expect(withoutSeconds(await readFile(join(out, 'summary.csv'), 'utf8'))).toBe(
      withoutSeconds(await readFile(join(dir, 'runs', 'local', 'summary.csv'), 'utf8')),
    );
    expect(withoutSeconds(await readFile(join(out, 'cells.csv'), 'utf8'))).toBe(
      withoutSeconds(await readFile(join(dir, 'runs', 'local', 'cells.csv'), 'utf8')),
    );
    // both workers took items, and the run's --concurrency 2 held over their 6 slots
    for (const w of workers) expect(w.stderr()).toMatch(/\[rounds=/);
    expect(remote.maxInFlight).toBeLessThanOrEqual(2);
    // every call the lines count was sent once, or answered by the shared cache
    const sum = (f: (l: EvalLine) => number) => lines.reduce((n, l) => n + f(l), 0);
    expect(sum((l) => l.calls)).toBe(chats(local));
    expect(chats(remote)).toBe(sum((l) => l.calls - l.cachedCalls));

    // a rerun into another folder is answered from the cache the workers share in Redis
    const before = chats(remote);
    const again = await runEval(
      evalOptions(remote, join(dir, 'runs', 'again'), { executor: createQueueExecutor({ queue: redis.url }) }),
    );
    expect(again.pending).toBe(0);
    expect(chats(remote)).toBe(before);
    const cached = await rawLines(join(dir, 'runs', 'again', 'results.jsonl'));
    expect(cached.every((l) => l.calls > 0 && l.cachedCalls === l.calls)).toBe(true);
    // finished jobs are removed once their lines are written
    const q = new Queue(QUEUE_DEFAULTS.name, { connection: (await connectRedis(redis.url)) as never });
    expect(await q.getJobCounts('completed', 'failed', 'waiting', 'active')).toEqual({
      completed: 0,
      failed: 0,
      waiting: 0,
      active: 0,
    });
    await q.close();
    for (const w of workers) w.child.kill('SIGTERM');
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes).toEqual([0, 0]);
  });

  it('completes after a worker and the coordinator are killed with SIGKILL mid-run, no pair written twice', async () => {
    // different replies than the first test's server: nothing comes from the shared cache
    const slowBrain = (r: BrainRequest) => {
      const v = brain(r);
      return 'choice' in v ? { ...v, rationale: 'slow' } : v;
    };
    const server = await startOpenAIServer({ brain: slowBrain, latencyMs: 250 });
    servers.push(server);
    const out = join(dir, 'runs', 'killed');
    const results = join(out, 'results.jsonl');
    const args = [
      'eval',
      '--data',
      jsonl,
      '--format',
      'native',
      '--model',
      'slow-model',
      '--base-url',
      server.url,
      '--grid',
      'rounds=0,1',
      '--stop',
      'fixed',
      '--size',
      '64x48',
      '--render',
      'points',
      '--concurrency',
      '4',
      '--no-png',
      '--progress',
      'lines',
      '--out',
      out,
      '--queue',
      redis.url,
    ];
    const first = spawnCli(args);
    const w1 = await startWorker(['--concurrency', '2']);
    await until(
      'a few lines and items in flight',
      async () => (await rawLines(results)).length >= 3 && server.inFlight > 0,
    );
    w1.child.kill('SIGKILL');
    first.child.kill('SIGKILL');
    await Promise.all([w1.exited, first.exited]);
    const before = await rawLines(results);
    expect(before.length).toBeLessThan(16);

    const w2 = await startWorker(['--concurrency', '2']);
    const second = spawnCli(args);
    expect(await second.exited, second.stderr()).toBe(0);
    const after = await rawLines(results);
    expect(after).toHaveLength(16);
    expect(new Set(after.map((l) => `${l.cell}|${l.item}`)).size).toBe(16);
    expect(after.filter((l) => l.status === 'error')).toEqual([]);
    // what was written before the kill stays as it was
    expect(after.slice(0, before.length)).toEqual(before);
    expect(await readFile(join(out, 'summary.md'), 'utf8')).toMatch(/\| 8 \|/);
    w2.child.kill('SIGTERM');
    expect(await w2.exited).toBe(0);
  });

  it('says in one line that Redis cannot be reached, from eval and from worker', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const ev = spawnCli([
      'eval',
      '--data',
      jsonl,
      '--format',
      'native',
      '--model',
      'builtin:perceiver',
      '--grid',
      'rounds=0',
      '--out',
      join(dir, 'runs', 'nowhere'),
      '--queue',
      url,
      '--progress',
      'none',
    ]);
    const wk = spawnCli(['worker', '--queue', url]);
    for (const p of [ev, wk]) {
      expect(await p.exited).toBe(2);
      const first = p.stderr().split('\n')[0];
      expect(first).toBe(`vantage: cannot reach Redis at ${url} (ECONNREFUSED)`);
      expect(p.stderr()).not.toMatch(/\n\s+at /);
    }
    const bad = spawnCli(['worker', '--queue', 'http://127.0.0.1:1']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/^vantage: --queue "http:\/\/127.0.0.1:1" is not a redis:\/\/ URL/);
  });

  it('records a malformed job payload as that pair’s error, and the worker goes on', async () => {
    const server = await startOpenAIServer({
      brain: (r) => {
        const v = brain(r);
        return 'choice' in v ? { ...v, rationale: 'malformed test' } : v;
      },
    });
    servers.push(server);
    const conn = await connectRedis(redis.url);
    const q = new Queue(QUEUE_DEFAULTS.name, { connection: conn as never });
    const out = join(dir, 'runs', 'malformed');
    const run = runEval(
      evalOptions(server, out, {
        grid: 'rounds=0',
        model: 'malformed-model',
        executor: createQueueExecutor({ queue: redis.url, sweepMs: 300 }),
      }),
    );
    // no worker yet: the jobs wait; break one, and add one that belongs to no run
    await until('8 waiting jobs', async () => (await q.getWaitingCount()) === 8);
    const [victim] = await q.getWaiting(0, 0);
    const victimItem = (victim.data as { item: { id: string } }).item.id;
    await victim.updateData({ v: 1, run: (victim.data as { run: string }).run, cell: 'not a cell' });
    const junk = await q.add('junk', { hello: 'world' }, { jobId: 'junk-1' });
    const w = await startWorker(['--concurrency', '2']);
    const summary = await run;
    expect(summary.pending).toBe(0);
    const lines = await rawLines(join(out, 'results.jsonl'));
    expect(lines).toHaveLength(8);
    const broken = lines.find((l) => l.item === victimItem)!;
    expect(broken.status).toBe('error');
    expect(broken.error).toMatch(/malformed job payload: cell/);
    expect(lines.filter((l) => l.status === 'ok')).toHaveLength(7);
    expect(w.stderr()).toMatch(/malformed payload/);
    // the stranger's job failed at once (no retries) and stays for whoever owns it
    expect(await q.getJobState(junk.id!)).toBe('failed');
    expect((await q.getJob(junk.id!))!.attemptsMade).toBe(1);
    await q.close();
    conn.disconnect();
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  });

  it('records a job whose workers keep dying as an error instead of losing it', async () => {
    // an endpoint that never answers in time: each worker that takes the item is killed mid-item
    const server = await startOpenAIServer({ brain, latencyMs: 120_000 });
    servers.push(server);
    const out = join(dir, 'runs', 'dying');
    const run = runEval(
      evalOptions(server, out, {
        grid: 'rounds=0',
        model: 'dying-model',
        limit: 1,
        executor: createQueueExecutor({ queue: redis.url, sweepMs: 300 }),
      }),
    );
    for (let k = 1; k <= 2; k++) {
      const w = await startWorker(['--concurrency', '1']);
      await until(`request ${k}`, () => chats(server) >= k);
      w.child.kill('SIGKILL');
      await w.exited;
    }
    // BullMQ allows one stall per job: the second makes it fail, and a live worker's check finds it
    const w3 = await startWorker(['--concurrency', '1']);
    const summary = await run;
    expect(summary.pending).toBe(0);
    const lines = await rawLines(join(out, 'results.jsonl'));
    expect(lines).toHaveLength(1);
    expect(lines[0].status).toBe('error');
    expect(lines[0].error).toMatch(/^job failed after \d+ tr(y|ies): job stalled more than allowable limit/);
    w3.child.kill('SIGTERM');
    expect(await w3.exited).toBe(0);
  });

  it('says which file a worker cannot read under its --image-root, and a run whose items all fail stops', async () => {
    const server = await startOpenAIServer({ brain });
    servers.push(server);
    const out = join(dir, 'runs', 'no-files');
    const w = await startWorker(['--image-root', join(dir, 'elsewhere')]);
    const err = await runEval(
      evalOptions(server, out, {
        grid: 'rounds=0',
        model: 'files-model',
        concurrency: 1,
        executor: createQueueExecutor({ queue: redis.url, sweepMs: 300 }),
      }),
    ).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/the first 6 item\(s\) all failed/);
    const lines = await rawLines(join(out, 'results.jsonl'));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const l of lines)
      expect(l.error).toMatch(
        new RegExp(`^worker \\S+ cannot read scenes/\\S+ as ${join(dir, 'elsewhere')}/scenes/\\S+ \\(ENOENT\\)`),
      );
    // the items no worker had taken were withdrawn
    const q = new Queue(QUEUE_DEFAULTS.name, { connection: (await connectRedis(redis.url)) as never });
    await until(
      'the queue to empty',
      async () => (await q.getWaitingCount()) + (await q.getActiveCount()) === 0,
      10_000,
    );
    await q.close();
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  });

  it('authenticates with the password in the URL, and says so when it is wrong', async () => {
    const locked = await startRedis({ password: 's3cret' });
    try {
      const c = await connectRedis(locked.url);
      expect(await c.ping()).toBe('PONG');
      c.disconnect();
      const wrong = locked.url.replace('s3cret', 'nope');
      const e = await connectRedis(wrong).catch((x: Error) => x);
      expect((e as Error).message).toMatch(
        /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the connection \(WRONGPASS/,
      );
      expect((e as Error).message).not.toMatch(/nope/);
    } finally {
      await locked.stop();
    }
  });

  it('limits requests over several processes with leases in Redis, and frees the slots of a vanished holder', async () => {
    const [a, b] = await Promise.all([connectRedis(redis.url), connectRedis(redis.url)]);
    const la = redisLimiter(a, { key: 'http://endpoint/v1', limit: 2, pollMs: 5 });
    const lb = redisLimiter(b, { key: 'http://endpoint/v1', limit: 2, pollMs: 5 });
    let now = 0;
    let most = 0;
    const task = async () => {
      now++;
      most = Math.max(most, now);
      await sleep(20);
      now--;
    };
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? la : lb).run(task)));
    expect(most).toBe(2);

    // a holder that vanishes without releasing (a killed worker) blocks only until its lease ends
    const gone = await connectRedis(redis.url);
    const held = redisLimiter(gone, { key: 'http://other/v1', limit: 1, leaseMs: 400 });
    void held.run(() => new Promise(() => {}));
    await sleep(100);
    held.close();
    gone.disconnect();
    const lc = redisLimiter(a, { key: 'http://other/v1', limit: 1, leaseMs: 400, pollMs: 5 });
    const t0 = Date.now();
    await lc.run(async () => {});
    expect(Date.now() - t0).toBeGreaterThan(150);
    expect(Date.now() - t0).toBeLessThan(3000);
    for (const l of [la, lb, lc]) l.close();
    a.disconnect();
    b.disconnect();
  });

  it('selects the database the URL names', async () => {
    const c = await connectRedis(`${redis.url}/3`);
    await c.hset('m', { x: 'é✓' });
    expect(await c.hgetall('m')).toEqual({ x: 'é✓' });
    // database 3 was selected: database 0 does not see the key
    const zero = await connectRedis(redis.url);
    expect(await zero.hgetall('m')).toEqual({});
    zero.disconnect();
    c.disconnect();
  });
});
