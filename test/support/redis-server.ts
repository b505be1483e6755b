/**
 * A private, real redis-server for a test file: a free port on 127.0.0.1, no persistence, killed
 * after. Tests that need one use `describeRedis`: without a redis-server binary they are skipped
 * with a message, or fail when VANTAGE_REQUIRE_REDIS=1 (CI, where Redis is installed).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, it } from 'vitest';
import { connectRedis } from '../../loop/queue/redis.js';

const haveRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export function describeRedis(name: string, fn: () => void): void {
  if (haveRedis) {
    describe(name, fn);
    return;
  }
  if (process.env.VANTAGE_REQUIRE_REDIS === '1') {
    describe(name, () => {
      it('needs redis-server (VANTAGE_REQUIRE_REDIS=1)', () => {
        throw new Error("redis-server is not installed, and VANTAGE_REQUIRE_REDIS=1: install Debian's redis-server");
      });
    });
    return;
  }
  describe.skip(`${name} (skipped: no redis-server; install Debian's redis-server package)`, fn);
}

/** A port nothing listens on (just now). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRedis(opts: { password?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ...(opts.password ? ['--requirepass', opts.password] : []),
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://${opts.password ? `:${opts.password}@` : ''}127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    try {
      (await connectRedis(url)).disconnect();
      break;
    } catch (e) {
      if (child.exitCode !== null || Date.now() - t0 > 10_000) {
        child.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not start: ${(e as Error).message}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
