import type { Redis } from 'ioredis';
import { redisNames, type Config, type Engine, type Logger, type WorkerAnnouncement } from '@spool/shared';
import type { Scheduler } from './scheduler.js';

export function startHeartbeat(options: {
  config: Config;
  engine: Engine;
  redis: Redis;
  workerId: string;
  gpus: string[];
  scheduler: Scheduler;
  logger: Logger;
}): { stop(): Promise<void> } {
  const { config, engine, redis, workerId } = options;
  const names = redisNames(config.REDIS_PREFIX);
  const beat = async () => {
    const stats = engine.stats();
    const announcement: WorkerAnnouncement = {
      workerId,
      model: engine.model.id,
      engine: engine.model.engine,
      contextLength: engine.model.contextLength,
      slots: engine.model.slots,
      ...(engine.model.batchSlots !== undefined ? { batchSlots: engine.model.batchSlots } : {}),
      busySlots: stats.busySlots,
      waiting: options.scheduler.stats().waiting,
      memoryBytes: stats.memoryBytes,
      memoryKind: stats.memoryKind,
      generatedTokens: stats.generatedTokens,
      gpus: options.gpus,
      gpuMemory: stats.gpus,
      kvCacheUsage: stats.kvCacheUsage,
      pid: process.pid,
      seenAt: Date.now(),
    };
    await redis.hset(names.workers, workerId, JSON.stringify(announcement));
  };
  let stopped = false;
  let lastBeat: Promise<void> = Promise.resolve();
  const logBeat = () => {
    if (stopped) return;
    lastBeat = beat().catch((error) => options.logger.warn({ err: error }, 'heartbeat failed'));
  };
  logBeat();
  const timer = setInterval(logBeat, config.HEARTBEAT_INTERVAL_MS);
  let metricsTimer: NodeJS.Timeout | undefined;
  if (config.METRICS_LOG_INTERVAL_S > 0) {
    metricsTimer = setInterval(() => {
      const stats = engine.stats();
      options.logger.info({ metrics: 'worker', workerId, model: engine.model.id, ...stats, ...options.scheduler.stats() }, 'worker metrics');
    }, config.METRICS_LOG_INTERVAL_S * 1000);
    metricsTimer.unref();
  }
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(metricsTimer);
      // A beat still on its way would announce the worker again after it left.
      await lastBeat;
      await redis.hdel(names.workers, workerId);
    },
  };
}
