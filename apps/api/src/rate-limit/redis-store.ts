import type { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';

/** A rate-limit-redis store on the API's ioredis connection, under the deployment's key prefix. */
export function redisStore(redis: Redis, prefix: string): RedisStore {
  return new RedisStore({
    prefix,
    sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<number | string>,
  });
}
