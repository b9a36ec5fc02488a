import type { Redis } from 'ioredis';
import { redisNames, type Config, type WorkerAnnouncement } from '@spool/shared';

export interface WorkerRegistry {
  /** Live workers, as of the last refresh (at most one refresh interval old). */
  workers(): WorkerAnnouncement[];
  hasLiveWorker(model: string): boolean;
  /** The smallest context among a model's live workers, or undefined when none is live. */
  contextLength(model: string): number | undefined;
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Mirrors the worker heartbeats from Redis into memory once a second, so the request path never
 * waits on Redis to learn which models are up; stale workers are dropped (and removed from Redis).
 */
export function createWorkerRegistry(redis: Redis, config: Config, refreshMs = 1000): WorkerRegistry {
  const names = redisNames(config.REDIS_PREFIX);
  let live: WorkerAnnouncement[] = [];

  async function refresh(): Promise<void> {
    const entries = await redis.hgetall(names.workers);
    const now = Date.now();
    const fresh: WorkerAnnouncement[] = [];
    const stale: string[] = [];
    for (const [workerId, json] of Object.entries(entries)) {
      const announcement = JSON.parse(json) as WorkerAnnouncement;
      if (now - announcement.seenAt > config.HEARTBEAT_TIMEOUT_MS) stale.push(workerId);
      else fresh.push(announcement);
    }
    if (stale.length > 0) await redis.hdel(names.workers, ...stale);
    live = fresh;
  }

  const timer = setInterval(() => void refresh().catch(() => undefined), refreshMs);
  timer.unref();
  const ofModel = (model: string) => live.filter((worker) => worker.model === model);
  return {
    workers: () => live,
    hasLiveWorker: (model) => ofModel(model).length > 0,
    contextLength(model) {
      const lengths = ofModel(model).map((worker) => worker.contextLength);
      return lengths.length > 0 ? Math.min(...lengths) : undefined;
    },
    refresh,
    stop: () => clearInterval(timer),
  };
}
