import type { ApiDeps } from './deps.js';

/** Every METRICS_LOG_INTERVAL_S seconds, one log line with the totals, queue depths and engine memory. */
export function startMetricsLog(deps: ApiDeps): () => void {
  if (deps.config.METRICS_LOG_INTERVAL_S === 0) return () => undefined;
  const timer = setInterval(async () => {
    const queueDepth = Object.fromEntries(
      await Promise.all(deps.models.map(async (spec) => [spec.id, await deps.jobs.depth(spec.id).catch(() => null)] as const)),
    );
    const workers = deps.registry.workers().map((worker) => ({
      workerId: worker.workerId,
      model: worker.model,
      gpus: worker.gpus,
      busySlots: worker.busySlots,
      memoryKind: worker.memoryKind,
      memoryBytes: worker.memoryBytes,
    }));
    deps.logger.info({ metrics: 'api', ...deps.metrics.snapshot(), queueDepth, workers, cache: deps.cache?.stats() }, 'metrics');
  }, deps.config.METRICS_LOG_INTERVAL_S * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
