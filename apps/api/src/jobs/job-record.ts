import type { Response } from 'express';
import { asyncJobKeys, NotFoundError, type AsyncJobObject, type Principal } from '@spool/shared';
import type { ApiDeps } from '../deps.js';

/** What the API stores about an async job; its progress lives in the event log the worker writes. */
export interface JobRecord {
  id: string;
  /** The principal's `sub`: only its owner sees a job. */
  owner: string;
  /** The model's configured id: the queue the job waits in. */
  model: string;
  /** The model as the request named it, echoed in the job and its result. */
  requestedModel: string;
  endpoint: AsyncJobObject['endpoint'];
  /** The id of the chat.completion / text_completion the job produces. */
  completionId: string;
  /** Unix seconds. */
  created: number;
  choices: number;
  /** The parsed request, to shape the result as the synchronous call would (e.g. `echo`). */
  body: unknown;
}

export const keysOf = (deps: ApiDeps) => asyncJobKeys(deps.config.REDIS_PREFIX);

/** The caller's job, or a 404 (another principal's job is as unknown as a missing one). */
export async function readRecord(deps: ApiDeps, jobId: string, owner: string): Promise<JobRecord> {
  const stored = await deps.redis.get(keysOf(deps).record(jobId));
  const record = stored === null ? undefined : (JSON.parse(stored) as JobRecord);
  if (!record || record.owner !== owner) throw new NotFoundError(`No job found with id '${jobId}'.`, 'job_not_found', 'id');
  return record;
}

/** Stores the record and indexes it under its owner; both expire after the retention. */
export async function writeRecord(deps: ApiDeps, record: JobRecord): Promise<void> {
  const keys = keysOf(deps);
  const retention = deps.config.JOB_RETENTION_S;
  await deps.redis
    .multi()
    .set(keys.record(record.id), JSON.stringify(record), 'EX', retention)
    .zadd(keys.byOwner(record.owner), Date.now(), record.id)
    .expire(keys.byOwner(record.owner), retention)
    .exec();
}

/** The caller a job belongs to; without auth every caller is `anonymous`. */
export const ownerOf = (res: Response): string => (res.locals.principal as Principal | undefined)?.sub ?? 'anonymous';
