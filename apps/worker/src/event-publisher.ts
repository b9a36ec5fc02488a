import type { Redis } from 'ioredis';
import { asyncJobKeys, eventLogEntryId, eventLogSequence, type JobEvent, type RedisNames } from '@spool/shared';
import { defineFencedWrite, queueFencedWrite } from './fenced-write.js';

type Unnumbered = JobEvent extends infer E ? (E extends JobEvent ? Omit<E, 'seq' | 'attempt'> : never) : never;

export interface EventPublisher {
  /** Numbers the event and queues it for the next flush. */
  publish(jobId: string, attempt: number, event: Unnumbered): void;
  /** Sends everything queued now; resolves once it has reached Redis. */
  flush(): Promise<void>;
  /** Forgets a job's counters once its last event is queued. */
  forget(jobId: string): void;
  /**
   * Also appends the job's events to its async-job event log from now on, numbered on from the
   * log's last entry (a re-run after a worker died continues the same log).
   */
  openLog(jobId: string): Promise<void>;
  /**
   * From now on the job's events go out only while BullMQ's lock of the job (`lockKey`) holds this
   * attempt's `token`. Once a write is refused the job's later events are dropped and `onStale` is
   * called: the attempt lost its lock and another worker may own the job.
   */
  fence(jobId: string, lockKey: string, token: string): void;
}

/** For jobs nobody listens to (`GenerationJob.silent`): every call does nothing. */
export const SILENT_PUBLISHER: EventPublisher = {
  publish: () => undefined,
  flush: () => Promise.resolve(),
  forget: () => undefined,
  openLog: () => Promise.resolve(),
  fence: () => undefined,
};

export interface EventLogOptions {
  retentionS: number;
  maxEvents: number;
}

export interface EventPublisherOptions {
  /** How long later text deltas of a job may be merged into one message. */
  coalesceMs: number;
  log?: EventLogOptions;
  /** Called once for a job whose write was refused because its attempt no longer holds the job's lock. */
  onStale?: (jobId: string) => void;
}

/**
 * Publishes job events on their channels, one message (a JSON array) per job per flush. A job's
 * first text and its final events leave at the next tick; later text deltas are merged for up to
 * `coalesceMs`, so under load a message carries many tokens while the first token never waits.
 */
export function createEventPublisher(redis: Redis, names: RedisNames, options: EventPublisherOptions): EventPublisher {
  const { coalesceMs, log } = options;
  const pending = new Map<string, JobEvent[]>();
  const sequence = new Map<string, number>();
  const sentText = new Set<string>();
  /** Next log sequence number of each job whose log is open. */
  const logged = new Map<string, number>();
  const keys = asyncJobKeys(names.prefix);
  const fences = new Map<string, { lockKey: string; token: string }>();
  /** The fence of each job's pending events, taken when they were queued: `forget` may come before the flush. */
  const pendingFences = new Map<string, { lockKey: string; token: string } | undefined>();
  /** Jobs whose attempt here lost its lock: nothing more of theirs is sent. */
  const stale = new Set<string>();
  defineFencedWrite(redis);
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let timerAt = Infinity;
  let inFlight: Promise<unknown> = Promise.resolve();

  function cancelTimer(): void {
    if (timer) (timerAt === 0 ? clearImmediate : clearTimeout)(timer as never);
    timer = undefined;
    timerAt = Infinity;
  }

  function send(): Promise<void> {
    cancelTimer();
    if (pending.size === 0) return inFlight.then(() => undefined);
    const pipeline = redis.pipeline();
    const sent: string[] = [];
    for (const [jobId, events] of pending) {
      if (stale.has(jobId)) continue;
      const fence = pendingFences.get(jobId);
      const next = logged.get(jobId);
      const logThis = next !== undefined && log;
      queueFencedWrite(pipeline, {
        lockKey: fence?.lockKey ?? names.jobChannel(jobId),
        token: fence?.token ?? '',
        channel: names.jobChannel(jobId),
        message: JSON.stringify(events),
        // Explicit ids: the log reads as one numbered sequence across a job's attempts.
        ...(logThis
          ? {
              log: {
                key: keys.eventLog(jobId),
                recordKey: keys.record(jobId),
                maxEvents: log.maxEvents,
                retentionS: log.retentionS,
                entries: events.map((event, index) => [eventLogEntryId(next + index), JSON.stringify(event)] as [string, string]),
              },
            }
          : {}),
      });
      if (logThis) logged.set(jobId, next + events.length);
      sent.push(jobId);
    }
    pending.clear();
    pendingFences.clear();
    inFlight = pipeline.exec().then((replies) => {
      replies?.forEach(([error, written], index) => {
        const jobId = sent[index]!;
        if (error || written !== 0 || stale.has(jobId)) return;
        stale.add(jobId);
        options.onStale?.(jobId);
      });
    });
    return inFlight.then(() => undefined);
  }

  function scheduleIn(delayMs: number): void {
    const at = delayMs === 0 ? 0 : Date.now() + delayMs;
    if (at >= timerAt) return;
    cancelTimer();
    timerAt = at;
    timer = delayMs === 0 ? setImmediate(send) : setTimeout(send, delayMs);
  }

  return {
    publish(jobId, attempt, event) {
      if (stale.has(jobId)) return;
      if (!pending.has(jobId)) pendingFences.set(jobId, fences.get(jobId));
      const queued = pending.get(jobId) ?? [];
      const last = queued.at(-1);
      if (event.type === 'text-delta' && last?.type === 'text-delta' && last.choice === event.choice) {
        last.text += event.text;
        if (last.tokens !== undefined || event.tokens !== undefined) last.tokens = (last.tokens ?? 1) + (event.tokens ?? 1);
        if (event.logprobs) last.logprobs = [...(last.logprobs ?? []), ...event.logprobs];
      } else {
        const seq = sequence.get(jobId) ?? 0;
        sequence.set(jobId, seq + 1);
        queued.push({ ...event, seq, attempt } as JobEvent);
      }
      pending.set(jobId, queued);
      const firstText = event.type === 'text-delta' && !sentText.has(jobId);
      if (firstText) sentText.add(jobId);
      const urgent = firstText || (event.type !== 'text-delta' && event.type !== 'tool-call-delta');
      scheduleIn(urgent ? 0 : coalesceMs);
    },
    flush: send,
    forget(jobId) {
      sequence.delete(jobId);
      sentText.delete(jobId);
      logged.delete(jobId);
      fences.delete(jobId);
      stale.delete(jobId);
    },
    fence(jobId, lockKey, token) {
      fences.set(jobId, { lockKey, token });
    },
    async openLog(jobId) {
      const [last] = await redis.xrevrange(keys.eventLog(jobId), '+', '-', 'COUNT', 1);
      logged.set(jobId, last ? eventLogSequence(last[0]) + 1 : 0);
    },
  };
}
