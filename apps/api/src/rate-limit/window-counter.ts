import type { Redis } from 'ioredis';

/** One fixed window's state: how much was used and when the window ends. */
export interface WindowState {
  allowed: boolean;
  used: number;
  resetMs: number;
}

// Adds `cost` unless that would pass `limit` (0 = no limit). A window starts at its first use and
// lasts `window` ms; later writes keep its end (SET ... PX with the remaining TTL).
const TAKE = `
local window = tonumber(ARGV[3])
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
local used = 0
if ttl > 0 then used = tonumber(redis.call('GET', KEYS[1]) or '0') else ttl = window end
if limit > 0 and cost > 0 and used + cost > limit then return {0, used, ttl} end
if cost > 0 then
  used = used + cost
  redis.call('SET', KEYS[1], used, 'PX', ttl)
end
return {1, used, ttl}
`;

// Corrects a window by `delta` (a reservation against the real usage), never below 0; a window
// that has already ended is left alone: its usage no longer counts.
const ADJUST = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
local used = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1])
if used < 0 then used = 0 end
redis.call('SET', KEYS[1], used, 'PX', ttl)
return used
`;

type Scripts = {
  spoolWindowTake(key: string, cost: number, limit: number, windowMs: number): Promise<[number, number, number]>;
  spoolWindowAdjust(key: string, delta: number): Promise<number>;
};

export interface WindowCounter {
  /** Adds `cost` to the key's window unless that passes `limit`; cost 0 just reads it. */
  take(key: string, cost: number, limit: number): Promise<WindowState>;
  adjust(key: string, delta: number): Promise<void>;
}

/**
 * A weighted fixed-window counter in Redis, shared by every API replica. express-rate-limit's
 * stores count requests one by one; token budgets need weights, so they use this instead.
 */
export function createWindowCounter(redis: Redis, prefix: string, windowMs = 60_000): WindowCounter {
  if (!('spoolWindowTake' in redis)) {
    redis.defineCommand('spoolWindowTake', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('spoolWindowAdjust', { numberOfKeys: 1, lua: ADJUST });
  }
  const scripts = redis as unknown as Scripts;
  return {
    async take(key, cost, limit) {
      const [allowed, used, resetMs] = await scripts.spoolWindowTake(prefix + key, Math.max(0, Math.ceil(cost)), limit, windowMs);
      return { allowed: allowed === 1, used, resetMs };
    },
    async adjust(key, delta) {
      if (delta !== 0) await scripts.spoolWindowAdjust(prefix + key, Math.round(delta));
    },
  };
}
