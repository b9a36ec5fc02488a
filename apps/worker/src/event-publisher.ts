import type { Redis } from 'ioredis';
import { asyncJobKeys, eventLogEntryId, eventLogSequence, type JobEvent, type RedisNames } from '@spool/shared';

type Unnumbered = JobEvent extends infer E ? (E extends JobEvent ? Omit<E, 'seq' | 'attempt'> : never) : never;

export interface EventPublisher {
  /** Numbers the event and queues it; queued events leave in one pipeline on the next tick. */
  publish(jobId: string, attempt: number, event: Unnumbered): void;
  /** Resolves once everything queued so far has reached Redis. */
  flush(): Promise<void>;
  /** Forgets a job's sequence counter once its last event is queued. */
  forget(jobId: string): void;
  /**
   * Also appends the job's events to its async-job event log from now on, numbered on from the
   * log's last entry (a re-run after a worker died continues the same log).
   */
  openLog(jobId: string): Promise<void>;
}

export interface EventLogOptions {
  retentionS: number;
  maxEvents: number;
}

/**
 * Publishes job events on their channels. Text deltas of one choice queued in the same tick are
 * merged into one event, so under load a flush carries many tokens per message while the first
 * token of a quiet job still leaves at once.
 */
export function createEventPublisher(redis: Redis, names: RedisNames, log?: EventLogOptions): EventPublisher {
  const pending = new Map<string, JobEvent[]>();
  const sequence = new Map<string, number>();
  /** Next log sequence number of each job whose log is open. */
  const logged = new Map<string, number>();
  const keys = asyncJobKeys(names.prefix);
  let scheduled: Promise<void> | undefined;

  async function send(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    scheduled = undefined;
    if (pending.size === 0) return;
    const pipeline = redis.pipeline();
    for (const [jobId, events] of pending) {
      pipeline.publish(names.jobChannel(jobId), JSON.stringify(events));
      const next = logged.get(jobId);
      if (next === undefined || !log) continue;
      events.forEach((event, index) => {
        // Explicit ids make a write from a second, stale worker fail instead of interleaving.
        pipeline.xadd(keys.eventLog(jobId), 'MAXLEN', '~', log.maxEvents, eventLogEntryId(next + index), 'event', JSON.stringify(event));
      });
      logged.set(jobId, next + events.length);
      pipeline.expire(keys.eventLog(jobId), log.retentionS);
      pipeline.expire(keys.record(jobId), log.retentionS);
    }
    pending.clear();
    await pipeline.exec();
  }

  return {
    publish(jobId, attempt, event) {
      const queued = pending.get(jobId) ?? [];
      const last = queued.at(-1);
      if (event.type === 'text-delta' && last?.type === 'text-delta' && last.choice === event.choice) {
        last.text += event.text;
      } else {
        const seq = sequence.get(jobId) ?? 0;
        sequence.set(jobId, seq + 1);
        queued.push({ ...event, seq, attempt } as JobEvent);
      }
      pending.set(jobId, queued);
      scheduled ??= send();
    },
    flush: () => scheduled ?? Promise.resolve(),
    forget: (jobId) => {
      sequence.delete(jobId);
      logged.delete(jobId);
    },
    async openLog(jobId) {
      const [last] = await redis.xrevrange(keys.eventLog(jobId), '+', '-', 'COUNT', 1);
      logged.set(jobId, last ? eventLogSequence(last[0]) + 1 : 0);
    },
  };
}
