import { rm } from 'node:fs/promises';
import { WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { batchRedisNames, isRedisUnavailable, WAITING_REDIS_OPTIONS, type BatchStatus, type ModelSpec } from '@spool/shared';
import { mayUseModel } from '../auth/model-access.js';
import { createFileStore } from '../files/file-store.js';
import { batchDirectory, createBatchStore, nowSeconds, type BatchRecord } from './batch-store.js';
import { finalizeFiles } from './finalize.js';
import { readLines, validateInput } from './input-lines.js';
import { createLineJobs } from './line-jobs.js';
import { openResultLog } from './result-log.js';
import { recordExpired, runLines, type BatchContext, type RunEnd } from './run-lines.js';

/** The models a batch's lines may use: all, unless the creating token had a `models` claim. */
function allowedByToken(batch: BatchRecord, specs: ModelSpec[]): ((model: string) => boolean) | undefined {
  const models = batch.allowed_models;
  return models ? (model) => mayUseModel({ sub: batch.owner, scopes: [], models }, model, specs) : undefined;
}

export interface BatchCoordinator {
  close(): Promise<void>;
}

/** How often a running batch re-reads its status and deadline, to notice a cancel or expiry. */
const STATUS_POLL_MS = 300;

/**
 * Consumes the `batch` queue: each job is one whole batch, driven through validating → in_progress
 * → finalizing → completed (or failed, cancelled, expired). All state lives in Redis and the data
 * directory, so when this process dies BullMQ's stalled-job check hands the batch to another
 * coordinator, which resumes it where the partial files leave off.
 */
export async function startBatchCoordinator(deps: Omit<BatchContext, 'store' | 'files' | 'lineJobs'> & { redis: Redis }): Promise<BatchCoordinator> {
  const { config, redis } = deps;
  const context: BatchContext = {
    ...deps,
    store: createBatchStore(redis, config),
    files: createFileStore(redis, config),
    lineJobs: createLineJobs(redis, config),
  };
  const { store } = context;
  let closing = false;

  async function execute(batch: BatchRecord, directory: string): Promise<RunEnd> {
    const log = await openResultLog(directory);
    await store.update(batch.id, { completed: log.counts.completed, failed: log.counts.failed });
    let watched: { status: BatchStatus | null; expiresAt: number } = { status: batch.status, expiresAt: batch.expires_at };
    const poll = setInterval(
      () =>
        void store.watch(batch.id).then(
          (value) => (watched = value),
          () => undefined,
        ),
      STATUS_POLL_MS,
    );
    const shouldStop = (): RunEnd | undefined => {
      if (closing) return 'shutdown';
      if (watched.status === 'cancelling') return 'cancelled';
      if (nowSeconds() >= watched.expiresAt) return 'expired';
      return undefined;
    };
    try {
      const end = shouldStop() ?? (await runLines(context, batch, log, shouldStop));
      if (end === 'expired') await recordExpired(context, batch, log);
      return end;
    } finally {
      clearInterval(poll);
      await log.close();
    }
  }

  async function drive(batchId: string): Promise<RunEnd | undefined> {
    let batch = await store.get(batchId);
    const directory = batchDirectory(config, batch.id);
    if (batch.status === 'validating') {
      const input = await context.files.get(batch.input_file_id).catch(() => undefined);
      const validation = input
        ? await validateInput(
            readLines(context.files.read(input)),
            batch.endpoint,
            context.models,
            config.BATCH_MAX_LINES,
            allowedByToken(batch, context.models),
          )
        : {
            errors: [{ code: 'file_not_found', message: `The input file '${batch.input_file_id}' no longer exists.`, param: 'input_file_id', line: null }],
            total: 0,
            models: [],
          };
      if (validation.errors.length > 0) {
        await store.transition(batch.id, ['validating', 'cancelling'], 'failed', { failed_at: nowSeconds(), errors: validation.errors });
        await rm(directory, { recursive: true, force: true });
        return undefined;
      }
      await store.update(batch.id, { total: validation.total, models: validation.models });
      await store.transition(batch.id, ['validating'], 'in_progress', { in_progress_at: nowSeconds() });
      batch = await store.get(batchId);
    }
    let end: RunEnd | undefined;
    if (batch.status === 'in_progress' || batch.status === 'cancelling') {
      end = await execute(batch, directory);
      if (end === 'shutdown') return end;
      if (end === 'done') await store.transition(batch.id, ['in_progress'], 'finalizing', { finalizing_at: nowSeconds() });
      batch = await store.get(batchId);
    }
    const final = batch.status === 'finalizing' ? 'completed' : batch.status === 'cancelling' ? 'cancelled' : end === 'expired' ? 'expired' : undefined;
    if (!final) return end;
    const files = await finalizeFiles(context.files, batch, directory);
    await store.transition(batch.id, [batch.status], final, { [`${final}_at`]: nowSeconds(), ...files });
    await rm(directory, { recursive: true, force: true });
    return end;
  }

  async function process(job: Job<{ batchId: string }>, token?: string): Promise<void> {
    let end: RunEnd | undefined;
    deps.logger.debug({ batchId: job.data.batchId }, 'batch picked up');
    try {
      end = await drive(job.data.batchId);
    } catch (error) {
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        const errors = [{ code: 'internal_error', message: 'The batch could not be run to its end; see the server log.', param: null, line: null }];
        await store.transition(job.data.batchId, ['validating', 'in_progress', 'finalizing', 'cancelling'], 'failed', { failed_at: nowSeconds(), errors });
        await rm(batchDirectory(config, job.data.batchId), { recursive: true, force: true });
      }
      throw error;
    }
    if (end === 'shutdown' && token) {
      // Hand the batch back now rather than after the lock expires: another coordinator resumes it.
      await job.moveToWait(token);
      throw new WaitingError();
    }
  }

  const connection = redis.duplicate({ ...WAITING_REDIS_OPTIONS, enableAutoPipelining: false });
  const worker = new Worker<{ batchId: string }>(batchRedisNames(config.REDIS_PREFIX).batchQueue, process, {
    connection,
    prefix: config.REDIS_PREFIX,
    concurrency: config.BATCH_CONCURRENCY,
    lockDuration: config.JOB_LOCK_MS,
    stalledInterval: config.STALLED_INTERVAL_MS,
    // A batch survives any number of coordinator restarts: each resumes from its files.
    maxStalledCount: 1000,
  });
  // A Redis outage is logged once by the API's connection listener, not once per BullMQ retry.
  worker.on('error', (error) =>
    isRedisUnavailable(error)
      ? deps.logger.debug({ err: error }, 'batch coordinator waits for redis')
      : deps.logger.error({ err: error }, 'batch coordinator error'),
  );
  worker.on('failed', (job, error) => deps.logger.error({ err: error, batchId: job?.data.batchId }, 'batch coordinator failed a batch'));
  await worker.waitUntilReady();

  return {
    async close() {
      closing = true;
      await worker.close();
      await context.lineJobs.close();
      connection.disconnect();
    },
  };
}
