/**
 * The job queue's Redis connections: ioredis (the client BullMQ is built on), from a checked
 * redis:// URL. The first connection is a probe that is not retried, so an unreachable Redis or a
 * wrong password is said at once in one line; after it, ioredis reconnects with a capped back-off.
 */
import { Redis } from 'ioredis';
import { VantageError } from '../../core/errors.js';

export type RedisClient = Redis;

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

/** redis://[user:password@]host[:port][/db] or rediss://… (TLS). */
export function parseRedisUrl(url: string): RedisAddress {
  const fail = (why: string) =>
    new VantageError(
      'bad-option',
      `--queue "${redactRedisUrl(url)}" ${why}`,
      'give a Redis URL: redis://HOST:PORT[/DB], e.g. redis://127.0.0.1:6379/0',
    );
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw fail('is not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw fail('is not a redis:// URL');
  if (!u.hostname) throw fail('names no host');
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText ? Number(dbText) : 0;
  if (!Number.isInteger(db) || db < 0) throw fail(`has database "${dbText}", not a number ≥ 0`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    tls: u.protocol === 'rediss:',
  };
}

/** The URL without its password (for messages and logs). */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}

export interface RedisClientOptions {
  /** how long the first connection may take, ms (default 5000) */
  connectTimeoutMs?: number;
}

/**
 * A connected client, or one clear error: Redis unreachable (refused, unknown host, timeout) or
 * refusing the connection (a password is needed, or the wrong one).
 */
export async function connectRedis(url: string, opts: RedisClientOptions = {}): Promise<RedisClient> {
  const a = parseRedisUrl(url);
  let probing = true;
  const client = new Redis({
    host: a.host,
    port: a.port,
    db: a.db,
    ...(a.username ? { username: a.username } : {}),
    ...(a.password ? { password: a.password } : {}),
    ...(a.tls ? { tls: {} } : {}),
    lazyConnect: true,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    // BullMQ's workers block on Redis: commands wait for a reconnect instead of failing after N tries
    maxRetriesPerRequest: null,
    retryStrategy: (times) => (probing ? null : Math.min(2000, 100 * 2 ** Math.min(times, 5))),
  });
  // errors are reported through the commands that meet them (an unhandled 'error' event would crash);
  // the probe keeps the last one, which says why a first connection failed
  let lastError: Error | undefined;
  client.on('error', (e: Error) => {
    lastError = e;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    const err = (lastError ?? e) as NodeJS.ErrnoException;
    const why = err.code ?? err.message;
    if (/NOAUTH|WRONGPASS|invalid password|AUTH/i.test(err.message))
      throw new VantageError(
        'queue-unreachable',
        `Redis at ${redactRedisUrl(url)} refused the connection (${why})`,
        'put the right password in the URL: redis://:PASSWORD@HOST:PORT',
        { cause: e },
      );
    throw new VantageError(
      'queue-unreachable',
      `cannot reach Redis at ${redactRedisUrl(url)} (${why})`,
      'start redis-server there (e.g. redis-server --bind 127.0.0.1), or pass the right --queue redis://HOST:PORT',
      { cause: e },
    );
  }
  probing = false;
  return client;
}

/** Run a script registered with `defineCommand` (ioredis adds it as a method of that name). */
export function runScript(redis: RedisClient, name: string, args: (string | number)[]): Promise<unknown> {
  const fn = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[name];
  return fn.apply(redis, args);
}
