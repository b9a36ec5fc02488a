import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  createAsyncQueue,
  InternalError,
  PRIORITY,
  RateLimitError,
  redisNames,
  UnavailableError,
  type Config,
  type GenerationJob,
  type GenerationResult,
  type JobEvent,
} from '@spool/shared';
import type { JobChannels } from './job-channel.js';

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

export function createJobClient(redis: Redis, channels: JobChannels, config: Config): JobClient {
  const names = redisNames(config.REDIS_PREFIX);
  const queues = new Map<string, Queue<GenerationJob, GenerationResult>>();
  const queueOf = (model: string) => {
    let queue = queues.get(model);
    if (!queue) {
      queue = new Queue(names.queue(model), { connection: redis, prefix: config.REDIS_PREFIX });
      queues.set(model, queue);
    }
    return queue;
  };
  const depth = (model: string) => queueOf(model).getJobCountByTypes('wait', 'prioritized');

  async function admit(job: GenerationJob): Promise<void> {
    // Both checks in one round trip (auto-pipelined); the token reservation is undone on refusal.
    const [waiting, queuedTokens] = await Promise.all([depth(job.model), redis.incrby(names.queuedTokens(job.model), job.reservedTokens)]);
    if (waiting >= config.MAX_QUEUED_REQUESTS || queuedTokens > config.MAX_QUEUED_TOKENS) {
      await redis.decrby(names.queuedTokens(job.model), job.reservedTokens);
      const what = waiting >= config.MAX_QUEUED_REQUESTS ? 'The queue' : 'The queued tokens';
      throw new RateLimitError(`${what} of model '${job.model}' is full; retry shortly.`, 1, 'queue_full');
    }
  }

  /** Removes a job that has not started; false when a worker holds it. */
  async function removeIfWaiting(job: Job): Promise<boolean> {
    const removed = await job.remove().then(() => true, () => false);
    if (removed) await redis.decrby(names.queuedTokens(job.data.model), job.data.reservedTokens);
    return removed;
  }

  /** Explains a job that went silent: failed for good, or vanished. Undefined while it still lives. */
  async function silentJobError(job: Job<GenerationJob, GenerationResult>): Promise<Error | undefined> {
    const state = await job.getState();
    if (state === 'failed') return new InternalError('The generation failed after its worker stopped.');
    if (state === 'unknown') return new InternalError('The job disappeared from the queue.');
    return undefined;
  }

  async function* submit(jobId: string, data: GenerationJob, options: SubmitOptions): AsyncIterable<JobEvent> {
    const events = createAsyncQueue<JobEvent>();
    let started = false;
    let finished = false;
    // Admission and the subscription are independent round trips: run them together. The job is
    // enqueued only after both, so no event can be missed.
    const [admitted, listening] = await Promise.allSettled([
      admit(data),
      channels.listen(names.jobChannel(jobId), (batch) => {
        for (const event of batch) {
          if (event.type === 'start') started = true;
          events.push(event);
          if (event.type === 'done' || event.type === 'error') events.close();
        }
      }),
    ]);
    if (admitted.status === 'rejected' || listening.status === 'rejected') {
      if (listening.status === 'fulfilled') await listening.value();
      throw admitted.status === 'rejected' ? admitted.reason : (listening as PromiseRejectedResult).reason;
    }
    const stopListening = listening.value;
    const job = await queueOf(data.model).add('generate', data, {
      jobId,
      priority: options.priority ?? PRIORITY.interactive,
      removeOnComplete: { age: 60 },
      removeOnFail: { age: 600 },
    });
    const queueTimer = setTimeout(async () => {
      if (!started && (await removeIfWaiting(job))) {
        events.close(new UnavailableError('The request waited in the queue too long; retry later.', 'queue_timeout'));
      }
    }, config.MAX_QUEUE_WAIT_MS);
    let lastEventAt = Date.now();
    const watchdog = setInterval(async () => {
      if (Date.now() - lastEventAt < WATCHDOG_MS) return;
      const error = await silentJobError(job).catch(() => undefined);
      if (error) events.close(error);
    }, WATCHDOG_MS);
    const onAbort = () => events.close();
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const event of events) {
        lastEventAt = Date.now();
        if (event.type === 'done' || event.type === 'error') finished = true;
        yield event;
      }
    } finally {
      clearTimeout(queueTimer);
      clearInterval(watchdog);
      options.signal.removeEventListener('abort', onAbort);
      await stopListening();
      if (!finished && !(await removeIfWaiting(job))) await redis.publish(names.cancelChannel, jobId);
    }
  }

  return {
    submit,
    async enqueue(jobId, data, priority) {
      await admit(data);
      await queueOf(data.model).add('generate', data, { jobId, priority, removeOnComplete: true, removeOnFail: true });
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
