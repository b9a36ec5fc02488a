import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { GenerationJob } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { respondAsync, wantsBackground } from '../jobs/background.js';
import { jobOutput } from '../respond/job-output.js';
import type { ResponseFormat, ResponseMeta } from '../respond/formats.js';
import { relay } from '../respond/relay.js';
import { resolveModel } from '../resolve-model.js';
import type { JobTarget } from '../translate.js';

/** What differs between chat and legacy completions; the rest of the path is shared. */
export interface GenerateEndpoint<Body> {
  idPrefix: string;
  parse(body: unknown): Body;
  model(body: Body): string;
  stream(body: Body, req: Request): boolean;
  includeUsage(body: Body): boolean;
  toJob(body: Body, target: JobTarget): GenerationJob;
  format(meta: ResponseMeta, body: Body): ResponseFormat;
}

/** parse → resolve model → enqueue → relay the worker's events as a stream or one body. */
export function generateHandler<Body>(deps: ApiDeps, endpoint: GenerateEndpoint<Body>) {
  return async function generate(req: Request, res: Response): Promise<void> {
    const body = endpoint.parse(req.body);
    const { spec, contextLength } = resolveModel(deps, endpoint.model(body));
    res.locals.model = spec.id;
    const stream = endpoint.stream(body, req);
    const background = wantsBackground(req);
    const id = `${endpoint.idPrefix}-${randomUUID().replaceAll('-', '')}`;
    const job = endpoint.toJob(body, {
      requestId: res.locals.requestId,
      model: spec.id,
      contextLength,
      stream: stream && !background,
      // A background job may wait as long as its record is kept.
      maxQueueWaitMs: background ? deps.config.JOB_RETENTION_S * 1000 : deps.config.MAX_QUEUE_WAIT_MS,
    });
    if (background) {
      return respondAsync(deps, req, res, { idPrefix: endpoint.idPrefix, requestedModel: endpoint.model(body), body, stream, job });
    }
    const clientGone = new AbortController();
    res.on('close', () => clientGone.abort());
    const events = deps.jobs.submit(id, job, { signal: clientGone.signal });
    const meta = { id, model: endpoint.model(body), created: Math.floor(Date.now() / 1000) };
    await relay(res, jobOutput(events), endpoint.format(meta, body), {
      stream,
      includeUsage: endpoint.includeUsage(body),
      choices: job.inputs.length,
      startedAt: res.locals.startedAt,
    });
  };
}
