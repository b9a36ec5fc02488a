import { randomUUID } from 'node:crypto';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  InternalError,
  batchSlotsOf,
  isRedisUnavailable,
  jobFailureReason,
  logRedisConnection,
  WAITING_REDIS_OPTIONS,
  isBatchPriority,
  SpoolError,
  UnavailableError,
  redisNames,
  releaseQueuedTokens,
  type Config,
  type Engine,
  type GenerationJob,
  type GenerationResult,
  type Logger,
} from '@spool/shared';
import { EngineLostError } from './engines/engine-lost-error.js';
import { LockLostError } from './lock-lost-error.js';
import { createEventPublisher, SILENT_PUBLISHER } from './event-publisher.js';
import { runJob } from './run-job.js';
import { runEmbeddings } from './run-embeddings.js';
import { createScheduler } from './scheduler.js';
import { expectedJobTokens } from './job-reservation.js';
import { createPullGate } from './pull-gate.js';
import { startHeartbeat } from './heartbeat.js';

export interface WorkerDeps {
  config: Config;
  engine: Engine;
  /** Commands and publishing. */
  redis: Redis;
  /** A connection of its own for the cancel channel (a subscribed connection runs no commands). */
  subscriber: Redis;
  logger: Logger;
  gpus?: string[];
}

/** What a worker holds now, against what it could start (tests and figures read it). */
export interface WorkerLoad {
  /** Jobs pulled from the queue and not finished: started or not. */
  held: number;
  running: number;
  /** Held jobs that cannot start now (none, while the pull gate guesses right). */
  blocked: number;
  /** Jobs of the size the gate guesses that fit the token budget and slots at once. */
  capacity: number;
  tokenBudget: number;
}

export interface RunningWorker {
  id: string;
  load(): WorkerLoad;
  /**
   * Resolves once the engine died for good (Engine.onLost) and this worker stopped taking jobs: it
   * no longer announces itself and handed its jobs back to the queue. The process should exit
   * non-zero so its supervisor restarts it with a fresh engine.
   */
  lost: Promise<Error>;
  /** Stops pulling, lets running jobs finish within the grace period, hands back the rest. */
  close(): Promise<void>;
}

const SHUTDOWN = 'shutdown';
/** Abort reason of an attempt that lost its BullMQ lock: the job may already run elsewhere. */
const LOCK_LOST = 'lock-lost';
/** A job whose engine died under it this many times fails instead of going back to the queue. */
const ENGINE_LOST_ATTEMPTS = 3;

/** A BullMQ consumer of one model's queue that pulls only what its engine can start. */
export async function createWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { config, engine, redis, subscriber, logger } = deps;
  const names = redisNames(config.REDIS_PREFIX);
  const id = `${engine.model.id}-${randomUUID().slice(0, 8)}`;
  const running = new Map<string, AbortController>();
  /** Set once the engine died for good (Engine.onLost): nothing starts here any more. */
  let engineGone = false;
  // A refused write means this attempt lost its lock: stop generating and free the slot.
  const abandon = (jobId: string) => running.get(jobId)?.abort(LOCK_LOST);
  const sharedPublisher = createEventPublisher(redis, names, {
    coalesceMs: config.STREAM_COALESCE_MS,
    log: { retentionS: config.JOB_RETENTION_S, maxEvents: config.JOB_EVENT_LOG_MAX },
    onStale: abandon,
  });
  const slots = engine.model.slots;
  // The engine's own capacity (vLLM's KV cache) unless the setting says otherwise.
  const tokenBudget = config.WORKER_TOKEN_BUDGET ?? engine.model.tokenCapacity ?? slots * engine.model.contextLength;
  const scheduler = createScheduler({
    slots,
    tokenBudget,
    windowMs: config.MICROBATCH_WINDOW_MS,
    batchSlots: batchSlotsOf(slots, engine.model.batchSlots, config.BATCH_FREE_SLOTS),
  });
  const gate = createPullGate({
    slots,
    tokenBudget,
    scheduler,
    firstGuessTokens: Math.min(engine.model.contextLength, 2 * config.WORKER_EXPECTED_OUTPUT_TOKENS),
  });
  const held = { notStarted: 0, running: 0 };
  // While batch lines are here, BullMQ may hand this worker BATCH_PREFETCH jobs more than it has
  // slots: the lines ready behind the running ones wait in the scheduler, and a fetch slot stays open
  // for an interactive job. Without batch lines a worker takes no more than it can start, so it never
  // holds a job another worker could run now.
  let batchJobsHere = 0;
  logRedisConnection(redis, logger, 'worker');
  logRedisConnection(subscriber, logger, 'worker-subscriber');

  await subscriber.subscribe(names.cancelChannel);
  subscriber.on('message', (channel, jobId) => {
    if (channel === names.cancelChannel) running.get(jobId)?.abort('cancelled');
  });

  async function process(job: Job<GenerationJob, GenerationResult>, token?: string): Promise<GenerationResult> {
    const jobId = job.id!;
    const attempt = job.attemptsStarted;
    const data = job.data;
    if (engineGone && token) {
      // Fetched while BullMQ was closing after the engine died: straight back to the queue, unstarted.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const publisher = data.silent ? SILENT_PUBLISHER : sharedPublisher;
    const fail = (error: SpoolError) => {
      publisher.publish(jobId, attempt, { type: 'error', status: error.status, error: error.toJSON().error });
      return publisher.flush().then(() => new UnrecoverableError(jobFailureReason(error)));
    };
    // Every write of this attempt is checked against BullMQ's lock: once stalled-job recovery gave
    // the job to another worker, nothing of this attempt reaches the channel or the event log.
    if (token) publisher.fence(jobId, `${job.queueQualifiedName}:${jobId}:lock`, token);
    if (data.eventLog) await publisher.openLog(jobId);
    // Not awaited: the queued-token counter must not delay the first token. Every attempt releases
    // (a no-op once released), so a worker that died before its release leaves nothing counted.
    void releaseQueuedTokens(redis, names, data.model, jobId).catch(() => undefined);
    if (Date.now() > data.deadlineAt) {
      throw await fail(new UnavailableError('The request waited in the queue longer than allowed.', 'queue_timeout'));
    }
    const controller = new AbortController();
    running.set(jobId, controller);
    const batch = isBatchPriority(job.priority);
    if (batch) countBatchJob(+1);
    const tokens = data.embeddings ? data.reservedTokens : expectedJobTokens(data.inputs, engine.model.contextLength, config.WORKER_EXPECTED_OUTPUT_TOKENS);
    gate.noteJob(tokens);
    held.notStarted += 1;
    let started = false;
    publisher.publish(jobId, attempt, { type: 'start', workerId: id });
    try {
      const admitted = scheduler.admit({ slots: Math.max(data.inputs.length, 1), tokens, batch }, controller.signal);
      pullOnlyWhatCanStart();
      const release = await admitted;
      started = true;
      held.notStarted -= 1;
      held.running += 1;
      pullOnlyWhatCanStart();
      try {
        // The queue priority rides along for engines that schedule by it (vLLM).
        const inputs = data.inputs.map((input) => ({ ...input, priority: input.priority ?? job.priority }));
        const result = data.embeddings
          ? await runEmbeddings(engine, data.embeddings, controller.signal)
          : await runJob(engine, publisher, jobId, attempt, { ...data, inputs }, controller.signal);
        if (controller.signal.aborted) throw controller.signal.reason;
        publisher.publish(jobId, attempt, { type: 'done', usage: result.usage, ...(result.embeddings ? { embeddings: result.embeddings } : {}) });
        await publisher.flush();
        if (controller.signal.reason === LOCK_LOST) throw new LockLostError(jobId);
        return result;
      } finally {
        release();
      }
    } catch (error) {
      if (controller.signal.reason === LOCK_LOST) {
        // Not ours any more: no error event, no hand-back; BullMQ's own lock check refuses our outcome.
        logger.warn({ jobId, attempt, workerId: id }, 'lost the lock of a job; abandoned this attempt');
        throw error instanceof LockLostError ? error : new LockLostError(jobId);
      }
      const engineLost = error instanceof EngineLostError && !controller.signal.aborted;
      if (engineLost) logger.warn({ err: error, jobId, attempt }, 'engine lost under a job');
      if ((controller.signal.reason === SHUTDOWN || (engineLost && attempt < ENGINE_LOST_ATTEMPTS)) && token) {
        // Hand the job back so a worker (this one once its engine is back, or another) runs it from the start.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (controller.signal.aborted) throw await fail(new SpoolError(499, 'The request was cancelled.', 'invalid_request_error', 'cancelled'));
      if (error instanceof SpoolError) throw await fail(error);
      if (engineLost) throw await fail(new UnavailableError('The engine failed repeatedly while running this request.', 'engine_unavailable'));
      logger.error({ err: error, jobId }, 'generation failed');
      throw await fail(new InternalError());
    } finally {
      if (started) held.running -= 1;
      else held.notStarted -= 1;
      if (batch) countBatchJob(-1);
      else pullOnlyWhatCanStart();
      running.delete(jobId);
      publisher.forget(jobId);
    }
  }

  // BullMQ leaves a connection it was given open on close: this one is closed below, after the worker.
  const connection = redis.duplicate(WAITING_REDIS_OPTIONS);
  const worker = new Worker<GenerationJob, GenerationResult>(names.queue(engine.model.id), process, {
    connection,
    prefix: config.REDIS_PREFIX,
    concurrency: gate.limit(held),
    lockDuration: config.JOB_LOCK_MS,
    stalledInterval: config.STALLED_INTERVAL_MS,
    maxStalledCount: 2,
    name: id,
  });
  // An outage is logged once by the connection listeners above, not once per BullMQ retry.
  worker.on('error', (error) =>
    isRedisUnavailable(error) ? logger.debug({ err: error }, 'worker waits for redis') : logger.error({ err: error }, 'worker error'),
  );
  worker.on('lockRenewalFailed', (jobIds) => jobIds.forEach(abandon));
  function countBatchJob(change: number): void {
    batchJobsHere += change;
    pullOnlyWhatCanStart();
  }
  /** BullMQ's concurrency is how many jobs this worker holds: it follows what can start now. */
  function pullOnlyWhatCanStart(): void {
    worker.concurrency = batchJobsHere > 0 ? slots + config.BATCH_PREFETCH : gate.limit(held);
  }
  await worker.waitUntilReady();

  const heartbeat = startHeartbeat({ config, engine, redis, workerId: id, gpus: deps.gpus ?? [], scheduler, logger });
  logger.info({ workerId: id, model: engine.model.id, slots: engine.model.slots }, 'worker ready');

  const lost = new Promise<Error>((resolve) => {
    engine.onLost?.((error) => {
      engineGone = true;
      logger.error({ err: error, workerId: id }, 'the engine died: this worker stops taking jobs and hands its jobs back');
      // Close at once (before the engine fails the running jobs): a job handed back must not be fetched
      // here again. Running and admitted jobs fail fast with EngineLostError and go back to the queue
      // for another worker; leaving the registry stops the API routing here.
      const closing = worker.close();
      void Promise.allSettled([closing, heartbeat.stop()]).then(() => resolve(error));
    });
  });

  return {
    id,
    load() {
      const { blocked } = scheduler.stats();
      const size = Math.max(1, gate.guess());
      return { held: held.notStarted + held.running, running: held.running, blocked, capacity: Math.min(slots, Math.floor(tokenBudget / size)), tokenBudget };
    },
    lost,
    async close() {
      const grace = setTimeout(() => running.forEach((controller) => controller.abort(SHUTDOWN)), config.SHUTDOWN_GRACE_MS);
      await worker.close();
      connection.disconnect();
      clearTimeout(grace);
      await heartbeat.stop();
      await subscriber.unsubscribe(names.cancelChannel);
    },
  };
}
