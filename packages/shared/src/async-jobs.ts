import type { OpenAIErrorBody } from './errors.js';

/** Status of an async job, as OpenAI's background responses name them. */
export type AsyncJobStatus = 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled';

/** The job object `POST …?background` answers and `GET /v1/jobs/{id}` returns. */
export interface AsyncJobObject {
  id: string;
  object: 'job';
  status: AsyncJobStatus;
  /** Unix seconds. */
  created_at: number;
  model: string;
  endpoint: '/v1/chat/completions' | '/v1/completions' | '/v1/responses';
  /** The full `chat.completion`, `text_completion` or `response` body once completed. */
  result: object | null;
  error: OpenAIErrorBody | null;
}

/**
 * Redis keys of async jobs. The worker writes the event log (one stream entry per published event,
 * entry id `0-<sequence_number + 1>`), the API writes the record and the owner index; all expire.
 */
export function asyncJobKeys(prefix: string) {
  return {
    record: (jobId: string) => `${prefix}:async-job:${jobId}`,
    eventLog: (jobId: string) => `${prefix}:async-job-events:${jobId}`,
    /** Sorted set of an owner's job ids, scored by creation time in ms. */
    byOwner: (owner: string) => `${prefix}:async-jobs-of:${owner}`,
  };
}

/** The stream entry id of an event log's `sequence` (Redis forbids `0-0`). */
export const eventLogEntryId = (sequence: number) => `0-${sequence + 1}`;
/** The sequence number of an event log entry id. */
export const eventLogSequence = (entryId: string) => Number(entryId.split('-')[1]) - 1;
