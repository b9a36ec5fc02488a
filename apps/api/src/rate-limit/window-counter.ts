import type { Redis } from 'ioredis';
import { isRedisUnavailable } from '@spool/shared';

/** One fixed window's state: how much was used and when the window ends. */
export interface WindowState {
  allowed: boolean;
  used: number;
  resetMs: number;
}

/** A take's answer: the window, and how much was added for the caller (its cost plus any lease). */
export interface WindowTake extends WindowState {
  granted: number;
}

export interface LeaseRequest {
  /** Also take 1/`share` of what remains after the cost (0: none), for the caller to spend locally. */
  share: number;
  /** Unspent budget of the caller's previous lease in this window, returned first. */
  giveBack: number;
}

// Returns `giveBack`, then adds `cost` unless that would pass `limit` (0 = no limit), plus a lease of
// 1/`share` of what remains when that covers at least one more such cost. A window starts at its
// first use and lasts `window` ms; later writes keep its end (SET ... PX with the remaining TTL). A
// giveBack for a window that has ended is dropped: the lease belonged to that window.
const TAKE = `
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local share = tonumber(ARGV[4])
local giveBack = tonumber(ARGV[5])
local ttl = redis.call('PTTL', KEYS[1])
local used = 0
if ttl > 0 then used = tonumber(redis.call('GET', KEYS[1]) or '0') else ttl = window; giveBack = 0 end
local changed = giveBack > 0
used = math.max(0, used - giveBack)
if limit > 0 and cost > 0 and used + cost > limit then
  if changed then redis.call('SET', KEYS[1], used, 'PX', ttl) end
  return {0, used, ttl, 0}
end
local granted = cost
if limit > 0 and share > 0 and cost > 0 then
  local spare = math.floor((limit - used - cost) / share)
  if spare >= cost then granted = cost + spare end
end
if granted > 0 or changed then
  used = used + granted
  redis.call('SET', KEYS[1], used, 'PX', ttl)
end
return {1, used, ttl, granted}
`;

// Corrects the key's window by `delta` (a reservation against the real usage), never below 0. It is
// whichever window holds the key now: once the reservation's window has ended and a new one begun,
// the correction lands in the new one. With no window at all (the key expired), nothing changes.
const ADJUST = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
local used = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1])
if used < 0 then used = 0 end
redis.call('SET', KEYS[1], used, 'PX', ttl)
return used
`;

type Scripts = {
  spoolWindowTake(key: string, cost: number, limit: number, windowMs: number, share: number, giveBack: number): Promise<[number, number, number, number]>;
  spoolWindowAdjust(key: string, delta: number): Promise<number>;
};

export interface WindowCounter {
  /** Adds `cost` to the key's window unless that passes `limit`; cost 0 just reads it. */
  take(key: string, cost: number, limit: number, lease?: LeaseRequest): Promise<WindowTake>;
  adjust(key: string, delta: number): Promise<void>;
}

/**
 * A weighted fixed-window counter in Redis, shared by every API replica. express-rate-limit's
 * stores count requests one by one; token budgets need weights, so every budget uses this instead
 * (through a lease, see leased-counter.ts).
 */
export function createWindowCounter(redis: Redis, prefix: string, windowMs = 60_000): WindowCounter {
  if (!('spoolWindowTake' in redis)) {
    redis.defineCommand('spoolWindowTake', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('spoolWindowAdjust', { numberOfKeys: 1, lua: ADJUST });
  }
  const scripts = redis as unknown as Scripts;
  // While Redis is unreachable every budget fails open: the request goes on uncounted (a generation
  // then gets 503 from the queue anyway; a cached answer or a model list is still served). Failing
  // closed would turn a Redis outage into an outage of everything. See docs/RELIABILITY.md.
  const failOpen = (error: unknown): WindowTake => {
    if (!isRedisUnavailable(error)) throw error;
    return { allowed: true, used: 0, resetMs: windowMs, granted: 0 };
  };
  return {
    async take(key, cost, limit, lease) {
      try {
        const [allowed, used, resetMs, granted] = await scripts.spoolWindowTake(
          prefix + key,
          Math.max(0, Math.ceil(cost)),
          limit,
          windowMs,
          lease?.share ?? 0,
          Math.max(0, Math.round(lease?.giveBack ?? 0)),
        );
        return { allowed: allowed === 1, used, resetMs, granted };
      } catch (error) {
        return failOpen(error);
      }
    },
    async adjust(key, delta) {
      if (delta !== 0) await scripts.spoolWindowAdjust(prefix + key, Math.round(delta)).catch(failOpen);
    },
  };
}
