import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { answerWithCache, replayOutput } from '../cache/cached-generation.js';
import type { ApiDeps } from '../deps.js';
import { respondAsync, wantsBackground } from '../jobs/background.js';
import { jobOutput } from '../respond/job-output.js';
import type { GenerateEndpoint } from '../respond/endpoints.js';
import { relay } from '../respond/relay.js';
import { resolveModel } from '../resolve-model.js';
import { assertEngineHonours } from '../engine-support.js';
import { systemFingerprint } from '../respond/system-fingerprint.js';

/** parse → resolve model → cache lookup → enqueue → relay the worker's events as a stream or one body. */
export function generateHandler<Body>(deps: ApiDeps, endpoint: GenerateEndpoint<Body>) {
  return async function generate(req: Request, res: Response): Promise<void> {
    const body = endpoint.parse(req.body);
    const { spec, contextLength } = resolveModel(deps, endpoint.model(body));
    assertEngineHonours(spec, body as Record<string, unknown>);
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
      return respondAsync(deps, res, { endpoint: endpoint.path, idPrefix: endpoint.idPrefix, requestedModel: endpoint.model(body), body, stream, job });
    }
    const meta = { id, model: endpoint.model(body), created: Math.floor(Date.now() / 1000), systemFingerprint: systemFingerprint(spec) };
    const relayOptions = (choices: number) => ({
      stream,
      includeUsage: endpoint.includeUsage(body),
      choices,
      startedAt: res.locals.startedAt,
      stallMs: deps.config.SSE_STALL_TIMEOUT_MS,
    });
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
