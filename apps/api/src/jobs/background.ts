import type { Request, Response } from 'express';
import { InvalidRequestError, type AsyncJobObject, type GenerationJob } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { ownerOf } from './job-record.js';
import { createJob } from './job-store.js';

/** `"background": true` in the body or `Prefer: respond-async`: answer 202 with a job at once. */
export function wantsBackground(req: Request): boolean {
  const body = req.body as { background?: unknown } | undefined;
  const prefer = req.get('prefer') ?? '';
  return body?.background === true || /(^|[,;\s])respond-async\b/i.test(prefer);
}

export interface BackgroundRequest {
  endpoint: AsyncJobObject['endpoint'];
  idPrefix: string;
  requestedModel: string;
  body: unknown;
  stream: boolean;
  job: GenerationJob;
}

/** Queues a background generation and answers 202 with its job object. */
export async function respondAsync(deps: ApiDeps, res: Response, request: BackgroundRequest): Promise<void> {
  if (request.stream) {
    throw new InvalidRequestError('A background request cannot stream; read GET /v1/jobs/{id}/events instead.', 'stream', 'invalid_value');
  }
  const job = await createJob(deps, {
    owner: ownerOf(res),
    requestedModel: request.requestedModel,
    endpoint: request.endpoint,
    idPrefix: request.idPrefix,
    body: request.body,
    job: request.job,
  });
  res.status(202).set('Preference-Applied', 'respond-async').json(job);
}
