import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { PRIORITY, redisNames, WAITING_REDIS_OPTIONS, type Config, type GenerationJob, type GenerationResult } from '@spool/shared';
import { createQueuedTokens } from '../queue/queued-tokens.js';

/** How a line's generation job ended. */
export type LineOutcome = { ok: true; result: GenerationResult } | { ok: false; reason: string };

export interface LineJob {
  jobId: string;
  data: GenerationJob;
  onSettled(outcome: LineOutcome): void;
}

export interface LineJobs {
  /** Adds jobs to their model's queue at batch priority; each `onSettled` fires once. */
  submit(model: string, jobs: LineJob[]): Promise<void>;
  /** Removes waiting jobs and aborts running ones; their `onSettled` never fires. */
  cancel(jobIds: string[]): Promise<void>;
  close(): Promise<void>;
}

/** How often unsettled jobs are looked up, in case their event was missed (e.g. across a restart). */
const SWEEP_MS = 2000;

/**
 * Feeds batch lines to the model queues (BullMQ serves un-prioritized interactive jobs first, then
 * these) and collects their return values from QueueEvents. Job ids are deterministic, so a
 * coordinator that resumes a batch finds the jobs it added before instead of running them twice.
 */
export function createLineJobs(redis: Redis, config: Config): LineJobs {
  const names = redisNames(config.REDIS_PREFIX);
  const tokens = createQueuedTokens(redis, config);
  const queues = new Map<string, { queue: Queue<GenerationJob, GenerationResult>; events: QueueEvents; connection: Redis }>();
  const pending = new Map<string, { model: string; since: number; data: GenerationJob; onSettled: LineJob['onSettled'] }>();

  const settle = (jobId: string, outcome: LineOutcome) => {
    const entry = pending.get(jobId);
    if (!entry) return;
    pending.delete(jobId);
    entry.onSettled(outcome);
  };

  async function queueOf(model: string) {
    let entry = queues.get(model);
    if (!entry) {
      const name = names.queue(model);
      const connection = redis.duplicate({ ...WAITING_REDIS_OPTIONS, enableAutoPipelining: false });
      const events = new QueueEvents(name, { connection, prefix: config.REDIS_PREFIX });
      // The API's connection listener logs an outage; without listeners BullMQ prints errors as plain text.
      events.on('error', () => undefined);
      connection.on('error', () => undefined);
      events.on('completed', ({ jobId, returnvalue }) => {
        settle(jobId, { ok: true, result: (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as GenerationResult });
      });
      events.on('failed', ({ jobId, failedReason }) => settle(jobId, { ok: false, reason: failedReason }));
      entry = { queue: new Queue(name, { connection: redis, prefix: config.REDIS_PREFIX }), events, connection };
      entry.queue.on('error', () => undefined);
      queues.set(model, entry);
      await events.waitUntilReady();
    }
    return entry;
  }

  async function add(model: string, jobs: { jobId: string; data: GenerationJob }[]): Promise<void> {
    const { queue } = await queueOf(model);
    // Batch lines count against the model's queued tokens like any job (never refused: the
    // coordinator sizes its lines in flight); the worker takes them off. A line BullMQ already
    // holds (a resumed coordinator adds its lines in flight again) is not counted twice.
    const reservations = await Promise.all(jobs.map((job) => tokens.reserve(queue, model, job.jobId, job.data.reservedTokens)));
    try {
      await queue.addBulk(
        jobs.map((job) => ({
          name: 'batch-line',
          data: job.data,
          opts: { jobId: job.jobId, priority: PRIORITY.batch, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } },
        })),
      );
    } catch (error) {
      await tokens
        .release(
          model,
          jobs.filter((_, index) => reservations[index] === 'reserved').map((job) => job.jobId),
        )
        .catch(() => undefined);
      throw error;
    }
  }

  async function lookUp(jobId: string, model: string): Promise<void> {
    const { queue } = await queueOf(model);
    const job = await Job.fromId<GenerationJob, GenerationResult>(queue, jobId);
    const entry = pending.get(jobId);
    if (!job) {
      // Gone before its result was read (removed after its retention, or by hand): run it again.
      if (entry) await add(model, [{ jobId, data: entry.data }]);
      return;
    }
    const state = await job.getState();
    if (state === 'completed') settle(jobId, { ok: true, result: job.returnvalue });
    else if (state === 'failed') settle(jobId, { ok: false, reason: job.failedReason });
  }

  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [jobId, entry] of pending) if (now - entry.since >= SWEEP_MS) void lookUp(jobId, entry.model).catch(() => undefined);
  }, SWEEP_MS);
  sweeper.unref();

  return {
    async submit(model, jobs) {
      await queueOf(model);
      const now = Date.now();
      for (const job of jobs) pending.set(job.jobId, { model, since: now, data: job.data, onSettled: job.onSettled });
      await add(model, jobs);
    },
    async cancel(jobIds) {
      await Promise.all(
        jobIds.map(async (jobId) => {
          const entry = pending.get(jobId);
          pending.delete(jobId);
          if (!entry) return;
          const job = await Job.fromId((await queueOf(entry.model)).queue, jobId);
          const removed = await job?.remove().then(
            () => true,
            () => false,
          );
          if (removed) await tokens.release(entry.model, [jobId]);
          else await redis.publish(names.cancelChannel, jobId);
        }),
      );
    },
    async close() {
      clearInterval(sweeper);
      await Promise.all(
        [...queues.values()].map(async ({ queue, events, connection }) => {
          await events.close();
          await queue.close();
          connection.disconnect();
        }),
      );
    },
  };
}
