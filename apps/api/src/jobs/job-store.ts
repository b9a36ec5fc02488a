import { randomUUID } from 'node:crypto';
import { eventLogEntryId, InvalidRequestError, PRIORITY, type AsyncJobObject, type GenerationJob, type JobEvent, type OpenAIErrorBody } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { readLog, type LoggedEvent } from './event-log.js';
import { formatOf } from './job-format.js';
import { keysOf, readRecord, writeRecord, type JobRecord } from './job-record.js';
import { jobView, terminalEvent } from './job-view.js';

const workerLost: OpenAIErrorBody = {
  message: 'The job failed after its worker stopped.',
  type: 'server_error',
  param: null,
  code: 'worker_lost',
};
const cancelled: OpenAIErrorBody = { message: 'The job was cancelled.', type: 'invalid_request_error', param: null, code: 'cancelled' };

export interface NewJob {
  /** The job's id; default `job_<hex>`. A response is the job of its own id (`resp_<hex>`). */
  id?: string;
  owner: string;
  requestedModel: string;
  endpoint: JobRecord['endpoint'];
  idPrefix: string;
  body: unknown;
  job: GenerationJob;
}

/** The record of a new job. */
export function newRecord(job: NewJob): JobRecord {
  const hex = randomUUID().replaceAll('-', '');
  return {
    id: job.id ?? `job_${hex}`,
    owner: job.owner,
    model: job.job.model,
    requestedModel: job.requestedModel,
    endpoint: job.endpoint,
    completionId: job.id ?? `${job.idPrefix}-${hex}`,
    created: Math.floor(Date.now() / 1000),
    choices: job.job.inputs.length,
    body: job.body,
  };
}

/** Queues an async job at async priority and stores its record. */
export async function createJob(deps: ApiDeps, job: NewJob): Promise<AsyncJobObject> {
  const record = newRecord(job);
  // Queued first: a record whose job is not in its queue would read as a failed job.
  await deps.jobs.enqueue(record.id, { ...job.job, eventLog: true }, PRIORITY.async);
  await writeRecord(deps, record);
  return jobView(record, [], formatOf(record));
}

/**
 * Appends a terminal event the worker could not write: a job removed before it started, or one
 * whose worker died for good. Sequence numbers go on from the log's last entry.
 */
async function appendEnd(deps: ApiDeps, record: JobRecord, events: LoggedEvent[], error: OpenAIErrorBody): Promise<void> {
  const key = keysOf(deps).eventLog(record.id);
  const attempt = Math.max(1, ...events.map(({ event }) => event.attempt));
  const end: JobEvent = { type: 'error', status: error.code === 'cancelled' ? 499 : 500, error, seq: 0, attempt };
  const next = (events.at(-1)?.sequence ?? -1) + 1;
  // A concurrent writer of the same id makes this XADD fail: one end is enough.
  await deps.redis.xadd(key, eventLogEntryId(next), 'event', JSON.stringify(end)).catch(() => undefined);
  await deps.redis.expire(key, deps.config.JOB_RETENTION_S);
}

/**
 * The job with its status. A job its queue no longer knows, or failed there (a worker died too
 * often), without an end in its log has failed: the log gets that end, so streams close too.
 */
export async function getJob(deps: ApiDeps, jobId: string, owner: string): Promise<AsyncJobObject> {
  const record = await readRecord(deps, jobId, owner);
  const key = keysOf(deps).eventLog(jobId);
  let events = await readLog(deps.redis, key);
  if (!terminalEvent(events)) {
    const state = await deps.jobs.state(record.model, jobId);
    if (state === 'unknown' || state === 'failed') {
      // The job may have ended between the two reads: its queue entry goes when it ends.
      events = await readLog(deps.redis, key);
      if (!terminalEvent(events)) {
        await appendEnd(deps, record, events, workerLost);
        events = await readLog(deps.redis, key);
      }
    }
  }
  return jobView(record, events, formatOf(record));
}

export interface ListOptions {
  limit: number;
  after?: string;
}

/** The caller's jobs, newest first, paged OpenAI-style with `after` (the last id of the previous page). */
export async function listJobs(deps: ApiDeps, owner: string, options: ListOptions) {
  const key = keysOf(deps).byOwner(owner);
  // Ids whose record expired leave the index here; the index itself expires with the newest job.
  await deps.redis.zremrangebyscore(key, '-inf', Date.now() - deps.config.JOB_RETENTION_S * 1000);
  let start = 0;
  if (options.after !== undefined) {
    const rank = await deps.redis.zrevrank(key, options.after);
    if (rank === null) throw new InvalidRequestError(`No job found with id '${options.after}'.`, 'after', 'invalid_value');
    start = rank + 1;
  }
  const ids = await deps.redis.zrevrange(key, start, start + options.limit);
  const page = ids.slice(0, options.limit);
  const jobs = await Promise.all(page.map((id) => getJob(deps, id, owner).catch(() => undefined)));
  const data = jobs.filter((job) => job !== undefined);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: ids.length > options.limit };
}

const CANCEL_WAIT_MS = 3000;
const CANCEL_RETRY_MS = 100;

/**
 * Cancels a job: a waiting one leaves its queue, a running one is aborted by its worker. Waits
 * (briefly) for the worker's end so the answer shows `cancelled`; the cancel is re-sent meanwhile
 * because a job that was just being picked up may not have been abortable yet.
 */
export async function cancelJob(deps: ApiDeps, jobId: string, owner: string): Promise<AsyncJobObject> {
  let job = await getJob(deps, jobId, owner);
  if (job.status !== 'queued' && job.status !== 'in_progress') return job;
  const record = await readRecord(deps, jobId, owner);
  const deadline = Date.now() + CANCEL_WAIT_MS;
  for (;;) {
    if (await deps.jobs.cancel(record.model, jobId)) {
      await appendEnd(deps, record, await readLog(deps.redis, keysOf(deps).eventLog(jobId)), cancelled);
    }
    job = await getJob(deps, jobId, owner);
    if ((job.status !== 'queued' && job.status !== 'in_progress') || Date.now() > deadline) return job;
    await new Promise((resolve) => setTimeout(resolve, CANCEL_RETRY_MS));
  }
}

/** Forgets a job: its record, its event log and its place in its owner's list. A running job is cancelled first. */
export async function deleteJob(deps: ApiDeps, jobId: string, owner: string): Promise<void> {
  const record = await readRecord(deps, jobId, owner);
  const job = await getJob(deps, jobId, owner);
  if (job.status === 'queued' || job.status === 'in_progress') await deps.jobs.cancel(record.model, jobId);
  const keys = keysOf(deps);
  await deps.redis.multi().del(keys.record(jobId), keys.eventLog(jobId)).zrem(keys.byOwner(owner), jobId).exec();
}
