import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { GenerationJob } from '@spool/shared';
import { answerWithCache, replayOutput } from '../cache/cached-generation.js';
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
  /** Values of fields a request may leave out, so the cache key treats both alike. */
  cacheDefaults?: Record<string, unknown>;
}

/** parse → resolve model → cache lookup → enqueue → relay the worker's events as a stream or one body. */
export function generateHandler<Body>(deps: ApiDeps, endpoint: GenerateEndpoint<Body>) {
  return async function generate(req: Request, res: Response): Promise<void> {
    const body = endpoint.parse(req.body);
    const { spec, contextLength } = resolveModel(deps, endpoint.model(body));
    res.locals.model = spec.id;
    const stream = endpoint.stream(body, req);
    const background = wantsBackground(req);
    const id = `${endpoint.idPrefix}-${randomUUID().replaceAll('-', '')}`;
    const target = (forBackground: boolean) => ({
      requestId: res.locals.requestId,
      model: spec.id,
      contextLength,
      stream: stream && !forBackground,
      // A background job may wait as long as its record is kept.
      maxQueueWaitMs: forBackground ? deps.config.JOB_RETENTION_S * 1000 : deps.config.MAX_QUEUE_WAIT_MS,
    });
    if (background) {
      const job = endpoint.toJob(body, target(true));
      return respondAsync(deps, req, res, { idPrefix: endpoint.idPrefix, requestedModel: endpoint.model(body), body, stream, job });
    }
    const meta = { id, model: endpoint.model(body), created: Math.floor(Date.now() / 1000) };
    const relayOptions = (choices: number) => ({ stream, includeUsage: endpoint.includeUsage(body), choices, startedAt: res.locals.startedAt });
    const cacheable = { endpoint: endpoint.idPrefix, model: spec.id, body: body as Record<string, unknown>, defaults: endpoint.cacheDefaults ?? {} };
    await answerWithCache(deps.cache, deps.config, req, res, cacheable, {
      replay: (result) => relay(res, replayOutput(result), endpoint.format(meta, body), relayOptions(result.choices.length)),
      async generate(record) {
        const job = endpoint.toJob(body, target(false));
        const clientGone = new AbortController();
        res.on('close', () => clientGone.abort());
        const events = deps.jobs.submit(id, job, { signal: clientGone.signal });
        await relay(res, record(jobOutput(events), job.inputs.length), endpoint.format(meta, body), relayOptions(job.inputs.length));
      },
    });
  };
}
