import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { batchRedisNames, type Config } from '@spool/shared';

/** The `batch` queue, whose jobs are whole batches that coordinators drive. */
export const batchQueueOf = (redis: Redis, config: Config) => new Queue(batchRedisNames(config.REDIS_PREFIX).batchQueue, { connection: redis, prefix: config.REDIS_PREFIX });

/** Hands a batch to the coordinators (its job id is the batch id, so adding it twice runs it once). */
export async function addBatchJob(queue: Queue, batchId: string): Promise<void> {
  await queue.add('batch', { batchId }, { jobId: batchId, attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: { age: 24 * 3600 } });
}
