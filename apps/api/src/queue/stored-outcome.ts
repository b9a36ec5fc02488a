import type { Queue } from 'bullmq';
import { errorFromJobFailure, InternalError, UnavailableError, type GenerationJob, type GenerationResult, type JobEvent } from '@spool/shared';
import type { EventTrail } from './event-trail.js';

/** Where a job stands according to BullMQ itself, not to its (possibly lost) events. */
export type StoredOutcome =
  { state: 'running' } | { state: 'completed'; result: GenerationResult } | { state: 'failed'; reason: string } | { state: 'gone' } | { state: 'unreachable' };

type GenerationQueue = Queue<GenerationJob, GenerationResult>;

/** Reads a job's outcome; never throws (Redis away is `unreachable`). */
export async function readOutcome(queue: GenerationQueue, jobId: string): Promise<StoredOutcome> {
  try {
    // The state first: a job read before it completes would lack the return value.
    const state = await queue.getJobState(jobId);
    if (state === 'unknown') return { state: 'gone' };
    if (state !== 'completed' && state !== 'failed') return { state: 'running' };
    const job = await queue.getJob(jobId);
    if (!job) return { state: 'gone' };
    return state === 'completed' ? { state, result: job.returnvalue } : { state, reason: job.failedReason };
  } catch {
    return { state: 'unreachable' };
  }
}

const POLL_MS = 100;

/** Reads until the job has ended or `waitMs` has passed: a worker publishes `done` just before BullMQ stores the result. */
export async function awaitOutcome(queue: GenerationQueue, jobId: string, waitMs: number): Promise<StoredOutcome> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const outcome = await readOutcome(queue, jobId);
    if (outcome.state !== 'running' || Date.now() >= deadline) return outcome;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * The events that end a request from its job's stored outcome, after what the trail passed on;
 * throws the error the client gets when there is no result to give it.
 */
export function outcomeEvents(outcome: StoredOutcome, trail: EventTrail): JobEvent[] {
  switch (outcome.state) {
    case 'completed': {
      const events = trail.finish(outcome.result);
      if (events) return events;
      throw new UnavailableError('Part of this answer was lost while Redis restarted; retry the request.', 'events_lost');
    }
    case 'failed':
      throw errorFromJobFailure(outcome.reason) ?? new InternalError(`The generation failed: ${outcome.reason}`);
    case 'gone':
      throw new UnavailableError('The job was lost from the queue (Redis lost its data); retry the request.', 'job_lost');
    case 'running':
      throw new UnavailableError('The answer to this request was lost while Redis restarted; retry the request.', 'events_lost');
    case 'unreachable':
      throw new UnavailableError('The service lost its queue store (Redis) while this request ran; retry shortly.');
  }
}
