import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { redisNames } from '@spool/shared';
import type { ResponseCache } from '../../apps/api/src/cache/response-cache.js';
import { MODEL, REDIS_URL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './spool-harness.js';

export interface CacheSpool {
  spool: Spool;
  worker: InProcessWorker;
  cache: ResponseCache;
  dataDir: string;
  /** Generation jobs the worker completed so far (BullMQ keeps them for 60 s). */
  generations(): Promise<number>;
  close(): Promise<void>;
}

/** An API with the cache on (its own data dir for L3) and an in-process worker on the real model. */
export async function startCacheSpool(overrides: Record<string, string> = {}): Promise<CacheSpool> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spool-cache-'));
  // A generous L2 timeout: on a loaded 2-core machine a slow Redis reply must not turn an L2 hit into L3.
  const spool = await startSpool({ CACHE_POLICY: 'deterministic', SPOOL_DATA_DIR: dataDir, CACHE_L2_TIMEOUT_MS: '2000', ...overrides });
  const worker = await startInProcessWorker(spool.config);
  await spool.waitForWorkers(1);
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(redisNames(spool.config.REDIS_PREFIX).queue(MODEL), { connection, prefix: spool.config.REDIS_PREFIX });
  return {
    spool,
    worker,
    cache: spool.api.deps.cache!,
    dataDir,
    generations: async () => (await queue.getJobCounts('completed')).completed ?? 0,
    async close() {
      await queue.close();
      connection.disconnect();
      await worker.close();
      await spool.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
