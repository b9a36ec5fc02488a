import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  createAsyncQueue,
  PRIORITY,
  RateLimitError,
  redisNames,
  UnavailableError,
  type Config,
  type GenerationJob,
  type GenerationResult,
  type JobEvent,
} from '@spool/shared';
import { createEventTrail } from './event-trail.js';
import type { JobChannels } from './job-channel.js';
import { createQueuedTokens } from './queued-tokens.js';
import { awaitOutcome, outcomeEvents, readOutcome, type StoredOutcome } from './stored-outcome.js';

export interface SubmitOptions {
  signal: AbortSignal;
  priority?: number;
}

export interface JobClient {
  /**
   * Admits a job to its model's bounded queue and yields the worker's events until `done` or
   * `error`. Ending the iteration early (or aborting `signal`) cancels the job.
   */
  submit(jobId: string, job: GenerationJob, options: SubmitOptions): AsyncIterable<JobEvent>;
  /**
   * Admits a job to its model's bounded queue and adds it without listening: an async job, whose
   * events the worker writes to the job's log. BullMQ drops the job's data once it ends.
   */
  enqueue(jobId: string, job: GenerationJob, priority: number): Promise<void>;
  /** Removes a job that has not started (true), or asks the worker running it to abort it (false). */
  cancel(model: string, jobId: string): Promise<boolean>;
  /** Where a job is in its queue (`waiting`, `prioritized`, `active`, …; `unknown` once gone). */
  state(model: string, jobId: string): Promise<string>;
  /** Waiting jobs per model queue. */
  depth(model: string): Promise<number>;
  close(): Promise<void>;
}

/** How long a job may stay silent before the client asks BullMQ whether it still lives. */
const WATCHDOG_MS = 3000;
/** After a `done` that followed lost events, how long to wait for BullMQ to store the result. */
const RESULT_WAIT_MS = 5000;

/**
 * `shutdown` aborts when the server's grace period ends: every submission still waiting then ends
 * with the signal's reason (a 503 answer, or a stream's last event).
 */
export function createJobClient(redis: Redis, channels: JobChannels, config: Config, shutdown?: AbortSignal): JobClient {
  const names = redisNames(config.REDIS_PREFIX);
  const tokens = createQueuedTokens(redis, config);
  const queues = new Map<string, Queue<GenerationJob, GenerationResult>>();
  const queueOf = (model: string) => {
    let queue = queues.get(model);
    if (!queue) {
      queue = new Queue(names.queue(model), { connection: redis, prefix: config.REDIS_PREFIX });
      // The connection's own listener logs an outage; without one, BullMQ prints the error as plain text.
      queue.on('error', () => undefined);
      queues.set(model, queue);
    }
    return queue;
  };
  const depth = (model: string) => queueOf(model).getJobCountByTypes('wait', 'prioritized');

  /** Reserves the job's tokens and checks the queue's depth; refused (or failed), it keeps no reservation. */
  async function admit(jobId: string, job: GenerationJob): Promise<void> {
    // Both checks in one round trip (auto-pipelined); the reservation is undone on refusal.
    const [waiting, reserving] = await Promise.allSettled([
      depth(job.model),
      tokens.reserve(queueOf(job.model), job.model, jobId, job.reservedTokens, config.MAX_QUEUED_TOKENS),
    ]);
    const queueFull = waiting.status === 'fulfilled' && waiting.value >= config.MAX_QUEUED_REQUESTS;
    const reservation = reserving.status === 'fulfilled' ? reserving.value : undefined;
    if (reservation === 'reserved' && (queueFull || waiting.status === 'rejected')) await tokens.release(job.model, [jobId]);
    for (const check of [waiting, reserving]) if (check.status === 'rejected') throw check.reason;
    if (queueFull || reservation === 'refused') {
      const what = queueFull ? 'The queue' : 'The queued tokens';
      throw new RateLimitError(`${what} of model '${job.model}' is full; retry shortly.`, 1, 'queue_full');
    }
  }

  /** Adds an admitted job; an add that fails takes its reservation back, so the counter keeps nothing of it. */
  async function add(jobId: string, data: GenerationJob, options: JobsOptions): Promise<Job<GenerationJob, GenerationResult>> {
    try {
      return await queueOf(data.model).add('generate', data, { ...options, jobId });
    } catch (error) {
      await tokens.release(data.model, [jobId]).catch(() => undefined);
      throw error;
    }
  }

  /** Removes a job that has not started; false when a worker holds it. */
  async function removeIfWaiting(job: Job): Promise<boolean> {
    const removed = await job.remove().then(
      () => true,
      () => false,
    );
    if (removed) await tokens.release(job.data.model, [job.id!]);
    return removed;
  }

  /** Lets go of a job whose client stopped listening; while Redis is away there is nothing to do. */
  async function abandon(job: Job, jobId: string): Promise<void> {
    try {
      if (!(await removeIfWaiting(job))) await redis.publish(names.cancelChannel, jobId);
    } catch {
      // Redis is away: the worker finishes the job and its result is dropped with it.
    }
  }

  async function* submit(jobId: string, data: GenerationJob, options: SubmitOptions): AsyncIterable<JobEvent> {
    const events = createAsyncQueue<JobEvent>();
    const trail = createEventTrail();
    let started = false;
    let finished = false;
    /** Set when the job must be answered from BullMQ: it went silent and ended, or its events were lost. */
    let outcome: StoredOutcome | undefined;
    let doneAfterGap = false;
    // Admission and the subscription are independent round trips: run them together. The job is
    // enqueued only after both, so no event can be missed.
    const [admitted, listening] = await Promise.allSettled([
      admit(jobId, data),
      channels.listen(names.jobChannel(jobId), (batch) => {
        for (const event of batch) {
          if (event.type === 'start') started = true;
          events.push(event);
          if (event.type === 'done' || event.type === 'error') events.close();
        }
      }),
    ]);
    if (admitted.status === 'rejected' || listening.status === 'rejected') {
      if (listening.status === 'fulfilled') await listening.value().catch(() => undefined);
      if (admitted.status === 'fulfilled') await tokens.release(data.model, [jobId]).catch(() => undefined);
      throw admitted.status === 'rejected' ? admitted.reason : (listening as PromiseRejectedResult).reason;
    }
    const stopListening = listening.value;
    const job = await add(jobId, data, { priority: options.priority ?? PRIORITY.interactive, removeOnComplete: { age: 60 }, removeOnFail: { age: 600 } }).catch(
      async (error: unknown) => {
        await stopListening().catch(() => undefined);
        throw error;
      },
    );
    const queueTimer = setTimeout(async () => {
      if (!started && (await removeIfWaiting(job).catch(() => false))) {
        events.close(new UnavailableError('The request waited in the queue too long; retry later.', 'queue_timeout'));
      }
    }, config.MAX_QUEUE_WAIT_MS);
    let lastEventAt = Date.now();
    let checking = false;
    // A silent job is looked up in BullMQ: one that ended while its events were lost (a Redis
    // restart drops pub/sub messages) is answered from its stored result, one that vanished or whose
    // Redis is away ends with 503. A waiting request always ends.
    const watchdog = setInterval(async () => {
      if (checking || Date.now() - lastEventAt < WATCHDOG_MS) return;
      checking = true;
      const found = await readOutcome(queueOf(data.model), jobId);
      checking = false;
      if (found.state === 'running' || finished) return;
      outcome = found;
      events.close();
    }, WATCHDOG_MS / 3);
    const onAbort = () => events.close();
    const onShutdown = () => events.close(shutdown?.reason);
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (shutdown?.aborted) onShutdown();
    shutdown?.addEventListener('abort', onShutdown, { once: true });
    try {
      for await (const event of events) {
        lastEventAt = Date.now();
        const verdict = trail.take(event);
        if (verdict === 'stale') continue;
        // Events were lost before this one: hold the rest of the attempt back (an error still goes out).
        if (verdict === 'gap' && event.type !== 'error') {
          if (event.type === 'done') doneAfterGap = true;
          continue;
        }
        if (event.type === 'done' || event.type === 'error') finished = true;
        yield event;
      }
      if (!finished && (outcome || doneAfterGap) && !options.signal.aborted) {
        outcome ??= await awaitOutcome(queueOf(data.model), jobId, RESULT_WAIT_MS);
        const ending = outcomeEvents(outcome, trail);
        finished = true;
        yield* ending;
      }
    } finally {
      clearTimeout(queueTimer);
      clearInterval(watchdog);
      options.signal.removeEventListener('abort', onAbort);
      shutdown?.removeEventListener('abort', onShutdown);
      await stopListening().catch(() => undefined);
      if (!finished) await abandon(job, jobId);
    }
  }

  return {
    submit,
    async enqueue(jobId, data, priority) {
      await admit(jobId, data);
      await add(jobId, data, { priority, removeOnComplete: true, removeOnFail: true });
    },
    async cancel(model, jobId) {
      const job = await queueOf(model).getJob(jobId);
      if (job && (await removeIfWaiting(job))) return true;
      await redis.publish(names.cancelChannel, jobId);
      return false;
    },
    state: (model, jobId) => queueOf(model).getJobState(jobId),
    depth,
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}
