import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { batchRedisNames, type Config } from '@spool/shared';

/** The `batch` queue, whose jobs are whole batches that coordinators drive. */
export function batchQueueOf(redis: Redis, config: Config): Queue {
  const queue = new Queue(batchRedisNames(config.REDIS_PREFIX).batchQueue, { connection: redis, prefix: config.REDIS_PREFIX });
  // The connection's own listener logs an outage; without one, BullMQ prints the error as plain text.
  queue.on('error', () => undefined);
  return queue;
}

/** Hands a batch to the coordinators (its job id is the batch id, so adding it twice runs it once). */
export async function addBatchJob(queue: Queue, batchId: string): Promise<void> {
  await queue.add(
    'batch',
    { batchId },
    { jobId: batchId, attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: { age: 24 * 3600 } },
  );
}
