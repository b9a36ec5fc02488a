import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUED_TOKENS_LUA, redisNames, releaseQueuedTokens, runScript, type Config } from '@spool/shared';

/** How a reservation went: counted now, already counted (BullMQ holds the job, or an add is on its way), or over the cap. */
export type Reservation = 'reserved' | 'held' | 'refused';

export interface ReconcileResult {
  model: string;
  before: number;
  after: number;
  /** Reservations of jobs no longer queued (an add that never landed, a removal that was missed). */
  dropped: number;
  /** Queued jobs that held no reservation (added by an older version, or after a reconcile dropped theirs). */
  adopted: number;
}

/**
 * A reservation not matched by a queued job is kept this long before a reconcile drops it: the
 * admit has run but its add may still be on the way to Redis.
 */
const ADD_GRACE_MS = 60_000;

/** The model queues' queued-token counters (see QUEUED_TOKENS_LUA): reserve before an add, release after. */
export function createQueuedTokens(redis: Redis, config: Config) {
  const names = redisNames(config.REDIS_PREFIX);
  const keys = (model: string) => [names.queuedTokens(model), names.queuedTokenReservations(model)];
  return {
    /** Reserves a job's tokens on its queue's counter, unless counted already; past `cap`, refuses. */
    async reserve(queue: Queue, model: string, jobId: string, tokens: number, cap = -1): Promise<Reservation> {
      const total = Number(await runScript(redis, QUEUED_TOKENS_LUA.admit, 3, ...keys(model), queue.toKey(jobId), jobId, tokens, cap));
      return total === -2 ? 'refused' : total === -1 ? 'held' : 'reserved';
    },
    /** Takes reserved jobs off the counter (each once): their add failed, or they left the queue unstarted. */
    async release(model: string, jobIds: string[]): Promise<void> {
      await Promise.all(jobIds.map((jobId) => releaseQueuedTokens(redis, names, model, jobId)));
    },
    /** Recomputes a model's counter from its queue's waiting, prioritized and delayed jobs, in one atomic script. */
    async reconcile(queue: Queue, model: string): Promise<ReconcileResult> {
      const queueKeys = ['wait', 'paused', 'prioritized', 'delayed'].map((type) => queue.toKey(type));
      const result = (await runScript(redis, QUEUED_TOKENS_LUA.reconcile, 6, ...keys(model), ...queueKeys, queue.toKey(''), ADD_GRACE_MS)) as number[];
      const [before = 0, after = 0, dropped = 0, adopted = 0] = result.map(Number);
      return { model, before, after, dropped, adopted };
    },
  };
}
export type QueuedTokens = ReturnType<typeof createQueuedTokens>;
