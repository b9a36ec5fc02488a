import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { InvalidRequestError, responseCreateRequestSchema, unsupportedInResponseRequest } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { ownerOf, readRecord, writeRecord } from '../jobs/job-record.js';
import { createJob, deleteJob, newRecord, type NewJob } from '../jobs/job-store.js';
import { assertEngineHonours } from '../engine-support.js';
import { resolveModel } from '../resolve-model.js';
import { whenClosed } from '../respond/sse.js';
import { chatMessagesOf, inputItemsOf } from './conversation.js';
import { createResponseEvents } from './response-events.js';
import { responseJob } from './response-job.js';
import { responseObject, type StoredResponse } from './response-object.js';
import { previousConversation } from './response-store.js';
import { collectResponse, streamResponseLog, writeResponseStream } from './response-stream.js';

/**
 * `POST /v1/responses`. The request becomes a chat generation on the model's queue. A stored
 * response (`store`, default true) is an async job: its record and event log are what
 * `GET /v1/responses/{id}`, resuming a stream and `previous_response_id` read later. A background
 * one is queued at async priority and answered at once; any other is relayed live as chat is.
 */
export async function createResponse(deps: ApiDeps, req: Request, res: Response): Promise<void> {
  const { body, stored, newJob, id, owner } = await planResponse(deps, req, res);
  if (body.background) {
    await createJob(deps, newJob);
    const record = await readRecord(deps, id, owner);
    if (body.stream) return streamResponseLog(deps, res, record, -1);
    res.json(responseObject({ id, model: body.model, created: record.created }, stored, { status: 'queued', output: [], usage: null, error: null }));
    return;
  }

  const store = body.store !== false;
  const record = newRecord(newJob);
  if (store) await writeRecord(deps, record);
  const events = createResponseEvents({ id, model: body.model, created: record.created }, stored);
  // The worker logs a stored response's events besides publishing them, for later reads.
  const source = deps.jobs.submit(id, { ...newJob.job, eventLog: store }, { signal: whenClosed(res) });
  try {
    if (body.stream)
      await writeResponseStream(res, events, source, {
        after: -1,
        deferHeaders: true,
        startedAt: res.locals.startedAt,
        stallMs: deps.config.SSE_STALL_TIMEOUT_MS,
      });
    else res.json(await collectResponse(res, events, source));
  } catch (error) {
    // Refused before it ran (a full queue, a prompt too long): nothing worth keeping.
    if (store && !res.headersSent) await deleteJob(deps, id, owner).catch(() => undefined);
    throw error;
  }
}

/** Parses and checks a request, reads the turns it continues, and makes its generation job. */
async function planResponse(deps: ApiDeps, req: Request, res: Response) {
  const body = responseCreateRequestSchema.parse(req.body);
  const unsupported = unsupportedInResponseRequest(body);
  if (unsupported) throw new InvalidRequestError(unsupported.message, unsupported.param, 'unsupported_parameter');
  const background = body.background === true;
  if (background && body.store === false) throw new InvalidRequestError('A background response must be stored: drop `store: false`.', 'store', 'invalid_value');
  const { spec, contextLength } = resolveModel(deps, body.model);
  assertEngineHonours(spec, body as Record<string, unknown>);
  res.locals.model = spec.id;
  const owner = ownerOf(res);
  const hex = randomUUID().replaceAll('-', '');
  const context = body.previous_response_id ? await previousConversation(deps, body.previous_response_id, owner) : [];
  const stored: StoredResponse = { request: body, context, input: inputItemsOf(body, hex) };
  const job = responseJob(body, chatMessagesOf(body.instructions, [...context, ...stored.input]), {
    requestId: res.locals.requestId,
    model: spec.id,
    contextLength,
    stream: body.stream === true && !background,
    // A background job may wait as long as its record is kept.
    maxQueueWaitMs: background ? deps.config.JOB_RETENTION_S * 1000 : deps.config.MAX_QUEUE_WAIT_MS,
  });
  const id = `resp_${hex}`;
  const newJob: NewJob = { id, owner, requestedModel: body.model, endpoint: '/v1/responses', idPrefix: 'resp', body: stored, job };
  return { body, stored, newJob, id, owner };
}
