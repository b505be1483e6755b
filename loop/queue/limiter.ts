/**
 * A concurrency limit toward one MLLM endpoint shared by every worker process: a counting semaphore
 * in Redis. Each request in flight holds a lease (a member of a sorted set scored by its expiry,
 * on Redis' clock); a slot is taken only while fewer than `limit` unexpired leases exist. Leases are
 * renewed while their request runs, so a worker killed mid-request frees its slots when they
 * expire instead of holding them forever. It is the Limiter the MLLM client already takes.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Limiter } from '../../core/mllm/limiter.js';
import { VantageError } from '../../core/errors.js';
import { QUEUE_DEFAULTS } from './config.js';
import { runScript, type RedisClient } from './redis.js';

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] leases; ARGV: token, limit, lease ms → 1 when the slot was taken. */
const ACQUIRE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[3]))
  return 1
end
return 0`;

/** KEYS[1] leases; ARGV: lease ms, tokens… → extends the leases still held. */
const RENEW = `${NOW}
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[1]))
return 1`;

export interface RedisLimiterOptions {
  /** what the limit is on (the endpoint's base URL): processes naming the same key share it */
  key: string;
  limit: number;
  leaseMs?: number;
  pollMs?: number;
}

export function redisLimiter(redis: RedisClient, o: RedisLimiterOptions): Limiter & { close(): void } {
  if (!Number.isInteger(o.limit) || o.limit < 1)
    throw new VantageError('bad-option', `--concurrency must be a whole number ≥ 1, got ${o.limit}`);
  const key = `${QUEUE_DEFAULTS.limiterPrefix}${createHash('sha256').update(o.key).digest('hex').slice(0, 24)}`;
  const leaseMs = o.leaseMs ?? QUEUE_DEFAULTS.leaseMs;
  const pollMs = o.pollMs ?? QUEUE_DEFAULTS.limiterPollMs;
  redis.defineCommand('vantageLimiterAcquire', { numberOfKeys: 1, lua: ACQUIRE });
  redis.defineCommand('vantageLimiterRenew', { numberOfKeys: 1, lua: RENEW });
  const held = new Set<string>();
  let waiting = 0;
  let renewer: NodeJS.Timeout | undefined;

  const renew = () => {
    if (!held.size) return;
    runScript(redis, 'vantageLimiterRenew', [key, leaseMs, ...held]).catch(() => {});
  };
  const acquire = async (): Promise<string> => {
    const token = randomUUID();
    for (;;) {
      const got = await runScript(redis, 'vantageLimiterAcquire', [key, token, o.limit, leaseMs]);
      if (got === 1) return token;
      await new Promise((r) => setTimeout(r, pollMs * (0.5 + Math.random())));
    }
  };

  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      waiting++;
      let token: string;
      try {
        token = await acquire();
      } finally {
        waiting--;
      }
      held.add(token);
      renewer ??= setInterval(renew, leaseMs / 3).unref();
      try {
        return await fn();
      } finally {
        held.delete(token);
        if (!held.size && renewer) {
          clearInterval(renewer);
          renewer = undefined;
        }
        await redis.zrem(key, token).catch(() => 0);
      }
    },
    concurrency: o.limit,
    get activeCount() {
      return held.size;
    },
    get pendingCount() {
      return waiting;
    },
    close() {
      if (renewer) clearInterval(renewer);
      renewer = undefined;
    },
  };
}
