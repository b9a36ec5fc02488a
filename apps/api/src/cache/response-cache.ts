import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Config, Logger } from '@spool/shared';
import type { CachedResult } from './cached-result.js';
import { CorruptEntryError, decodeResult, encodeResult } from './codec.js';
import { createDiskLevel, type DiskLevel } from './disk-level.js';
import { createMemoryLevel, type MemoryLevel } from './memory-level.js';
import { createRedisLevel, type RedisLevel } from './redis-level.js';

export type CacheLevel = 'l1' | 'l2' | 'l3';
export type CacheStatus = `hit-${CacheLevel}` | 'miss' | 'bypass';

export interface CacheHit {
  result: CachedResult;
  level: CacheLevel;
}

export interface CacheStats {
  hitsL1: number;
  hitsL2: number;
  hitsL3: number;
  misses: number;
  bypass: number;
  /** Requests answered by an identical generation already in flight. */
  coalesced: number;
  stores: number;
  corrupt: number;
  l2Errors: number;
  l1Entries: number;
  l1Bytes: number;
  l3Entries: number;
  l3Bytes: number;
  l3Evictions: number;
}

export interface ResponseCache {
  /** L1, then L2, then L3; a hit below L1 is copied up. Unreadable entries are dropped and miss. */
  lookup(key: string): Promise<CacheHit | undefined>;
  /** Writes every level. */
  store(key: string, model: string, result: CachedResult): Promise<void>;
  /**
   * Single flight. Undefined when this caller leads (it must call `settle` with its result, or
   * undefined on failure); otherwise a promise of the leader's result (undefined when it failed).
   * Across replicas a short Redis lock makes a second replica wait for the first one's L2 entry.
   */
  join(key: string): Promise<CachedResult | undefined> | undefined;
  /**
   * Ends the flight: waiters in this replica get `result` at once; the cross-replica lock is released
   * once `stored` (the leader's write of the result) settles, so another replica that then takes the
   * lock finds the entry in L2 instead of generating again.
   */
  settle(key: string, result: CachedResult | undefined, stored?: Promise<unknown>): void;
  /** Waits while another replica holds the key's lock; its result once it lands in L2. */
  awaitOtherReplica(key: string): Promise<CacheHit | undefined>;
  count(status: CacheStatus, coalesced?: boolean): void;
  stats(): CacheStats;
  /** Runs the L3 sweep now (it also runs every CACHE_L3_SWEEP_S). */
  sweep(): ReturnType<DiskLevel['sweep']>;
  readonly levels: { l1: MemoryLevel; l2: RedisLevel; l3: DiskLevel };
  close(): Promise<void>;
}

export interface ResponseCacheOptions {
  config: Config;
  logger: Logger;
  /** Served model ids: L3 entries of any other model are dropped by the sweep. */
  models: () => string[];
}

const LOCK_POLL_MS = 50;

export function createResponseCache({ config, logger, models }: ResponseCacheOptions): ResponseCache {
  const l1 = createMemoryLevel({ maxBytes: config.CACHE_L1_MAX_BYTES, ttlMs: config.CACHE_L1_TTL_S * 1000 });
  const l2 = createRedisLevel({
    url: config.CACHE_L2_URL ?? config.REDIS_URL,
    namespace: `${config.REDIS_PREFIX}:cache`,
    ttlMs: config.CACHE_L2_TTL_S * 1000,
    timeoutMs: config.CACHE_L2_TIMEOUT_MS,
    logger,
  });
  const l3 = createDiskLevel({
    path: join(config.SPOOL_DATA_DIR, 'cache', `${config.REDIS_PREFIX}.sqlite`),
    maxBytes: config.CACHE_L3_MAX_BYTES,
    ttlMs: config.CACHE_L3_TTL_S * 1000,
  });
  const counts = { hitsL1: 0, hitsL2: 0, hitsL3: 0, misses: 0, bypass: 0, coalesced: 0, stores: 0, corrupt: 0 };
  const flights = new Map<string, { promise: Promise<CachedResult | undefined>; resolve(result: CachedResult | undefined): void; lockToken?: string }>();
  const replicaToken = randomUUID();

  function decodeOrDrop(level: 'l2' | 'l3', key: string, bytes: Buffer): CachedResult | undefined {
    try {
      return decodeResult(bytes);
    } catch (error) {
      if (!(error instanceof CorruptEntryError)) throw error;
      counts.corrupt += 1;
      logger.warn({ cacheLevel: level, key, err: error }, 'dropped an unreadable cache entry');
      if (level === 'l3') l3.delete(key);
      else void l2.delete(key);
      return undefined;
    }
  }

  function fromL3(key: string): CachedResult | undefined {
    try {
      const bytes = l3.get(key);
      return bytes && decodeOrDrop('l3', key, bytes);
    } catch (error) {
      logger.warn({ err: error, cacheLevel: 'l3' }, 'cache L3 read failed');
      return undefined;
    }
  }

  // L1 is sized by the JSON it holds, whatever the codec below it.
  const promoteToL1 = (key: string, result: CachedResult) => l1.set(key, result, JSON.stringify(result).length);

  const sweep = () => {
    const outcome = l3.sweep(models());
    if (outcome.expired + outcome.removedModels + outcome.evicted > 0) logger.debug({ cacheLevel: 'l3', ...outcome }, 'cache sweep');
    return outcome;
  };
  const sweepTimer = setInterval(() => {
    try {
      sweep();
    } catch (error) {
      logger.warn({ err: error, cacheLevel: 'l3' }, 'cache sweep failed');
    }
  }, config.CACHE_L3_SWEEP_S * 1000);
  sweepTimer.unref();

  return {
    levels: { l1, l2, l3 },
    async lookup(key) {
      const inMemory = l1.get(key);
      if (inMemory) return { result: inMemory, level: 'l1' };
      const shared = await l2.get(key);
      const fromRedis = shared && decodeOrDrop('l2', key, shared);
      if (fromRedis) {
        promoteToL1(key, fromRedis);
        return { result: fromRedis, level: 'l2' };
      }
      const fromDisk = fromL3(key);
      if (!fromDisk) return undefined;
      const encoded = encodeResult(fromDisk, config.CACHE_COMPRESS_MIN_BYTES);
      l1.set(key, fromDisk, encoded.rawBytes);
      // Copied up to L2 in the background: the answer does not wait on Redis.
      void l2.set(key, encoded.bytes);
      return { result: fromDisk, level: 'l3' };
    },
    async store(key, model, result) {
      const encoded = encodeResult(result, config.CACHE_COMPRESS_MIN_BYTES);
      if (encoded.bytes.length > config.CACHE_MAX_ENTRY_BYTES) return;
      counts.stores += 1;
      l1.set(key, result, encoded.rawBytes);
      try {
        l3.set(key, model, encoded.bytes);
      } catch (error) {
        logger.warn({ err: error, cacheLevel: 'l3' }, 'cache L3 write failed');
      }
      await l2.set(key, encoded.bytes);
    },
    join(key) {
      const flight = flights.get(key);
      if (flight) return flight.promise;
      let resolve!: (result: CachedResult | undefined) => void;
      const promise = new Promise<CachedResult | undefined>((done) => (resolve = done));
      flights.set(key, { promise, resolve });
      return undefined;
    },
    settle(key, result, stored) {
      const flight = flights.get(key);
      if (!flight) return;
      flights.delete(key);
      flight.resolve(result);
      const { lockToken } = flight;
      if (lockToken) void (stored ?? Promise.resolve()).finally(() => l2.unlock(key, lockToken));
    },
    async awaitOtherReplica(key) {
      if (config.CACHE_LOCK_MS === 0) return undefined;
      const flight = flights.get(key);
      const token = `${replicaToken}:${randomUUID()}`;
      const deadline = Date.now() + config.CACHE_LOCK_MS;
      const fromL2 = async (): Promise<CacheHit | undefined> => {
        const shared = await l2.get(key);
        const result = shared && decodeOrDrop('l2', key, shared);
        if (!result) return undefined;
        promoteToL1(key, result);
        return { result, level: 'l2' };
      };
      for (;;) {
        const taken = await l2.tryLock(key, token, config.CACHE_LOCK_MS);
        if (taken) {
          // Another replica may have stored its result and let go of the lock between this caller's
          // lookup and the lock: look once more before generating the same answer again.
          const stored = await fromL2();
          if (stored) {
            void l2.unlock(key, token);
            return stored;
          }
          if (flight) flight.lockToken = token;
          return undefined;
        }
        // Redis unreachable (undefined): generate without waiting.
        if (taken === undefined) return undefined;
        await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
        const stored = await fromL2();
        if (stored) return stored;
        if (Date.now() > deadline) return undefined;
      }
    },
    count(status, coalesced = false) {
      if (coalesced) counts.coalesced += 1;
      if (status === 'hit-l1') counts.hitsL1 += 1;
      else if (status === 'hit-l2') counts.hitsL2 += 1;
      else if (status === 'hit-l3') counts.hitsL3 += 1;
      else if (status === 'miss') counts.misses += 1;
      else counts.bypass += 1;
    },
    stats: () => ({
      ...counts,
      l2Errors: l2.errors,
      l1Entries: l1.size,
      l1Bytes: l1.bytes,
      l3Entries: l3.count,
      l3Bytes: l3.bytes,
      l3Evictions: l3.evictions,
    }),
    sweep,
    async close() {
      clearInterval(sweepTimer);
      for (const key of [...flights.keys()]) this.settle(key, undefined);
      await l2.close();
      l3.close();
    },
  };
}
