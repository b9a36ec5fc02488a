import { batchRedisNames } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { queueSetOf } from '../queue/queue-set.js';
import { createBatchStore } from './batch-store.js';

/** At most this many running batches are shown on the dashboard and counted in the metrics. */
const SHOWN = 50;

/**
 * Feeds the dashboard, `/metrics` and the queue board with the batches every replica is running:
 * the batch coordinator queue's active and waiting jobs, read from Redis at scrape time.
 */
export function watchBatches(deps: ApiDeps): void {
  const queueName = batchRedisNames(deps.config.REDIS_PREFIX).batchQueue;
  const queues = queueSetOf(deps);
  queues.add('batch', queueName);
  const store = createBatchStore(deps.redis, deps.config);
  deps.metrics.setBatchSource(async () => {
    const queue = queues.list().find((entry) => entry.queue.name === queueName)!.queue;
    const jobs = await queue.getJobs(['active', 'waiting'], 0, SHOWN - 1);
    const batches = await Promise.all(jobs.map((job) => store.get(String((job.data as { batchId: string }).batchId)).catch(() => undefined)));
    return batches
      .filter((batch) => batch !== undefined)
      .map((batch) => ({
        id: batch.id,
        status: batch.status,
        total: batch.total,
        completed: batch.completed,
        failed: batch.failed,
        createdAt: batch.created_at,
      }));
  });
}
