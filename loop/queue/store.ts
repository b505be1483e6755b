/**
 * The MLLM response cache shared by every worker of a queue: one Redis hash, request key → response
 * JSON. As in the file cache, the first response stored for a key is kept (HSETNX), so a rerun on
 * any machine gets the identical reply, free.
 */
import type { ResponseStore } from '../../core/mllm/cache.js';
import { QUEUE_DEFAULTS } from './config.js';
import type { RedisClient } from './redis.js';

export function redisResponseStore(redis: RedisClient, key: string = QUEUE_DEFAULTS.cacheKey): ResponseStore {
  return {
    async get(k) {
      const v = await redis.hget(key, k);
      return v === null ? undefined : (JSON.parse(v) as unknown);
    },
    async put(k, value) {
      await redis.hsetnx(key, k, JSON.stringify(value));
    },
  };
}
