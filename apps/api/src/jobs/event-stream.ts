import type { Request, Response } from 'express';
import { InternalError, InvalidRequestError } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { toSpoolError } from '../middleware/error-handler.js';
import { createSseWriter, whenClosed } from '../respond/sse.js';
import { streamResponseLog } from '../responses/response-stream.js';
import { sseEventOf } from './event-chunks.js';
import { followJobLog } from './follow-log.js';
import { formatOf } from './job-format.js';
import { ownerOf, readRecord } from './job-record.js';

/** `Last-Event-ID` or `?starting_after=N`: the last sequence number the client has; -1 for all. */
export function startingAfter(req: Request): number {
  const header = req.get('last-event-id');
  const query = req.query.starting_after;
  const raw = header ?? (typeof query === 'string' ? query : undefined);
  if (raw === undefined || raw === '') return -1;
  if (!/^\d+$/.test(raw.trim())) {
    throw new InvalidRequestError(
      `Invalid event id '${raw}': expected a sequence number.`,
      header === undefined ? 'starting_after' : 'Last-Event-ID',
      'invalid_value',
    );
  }
  return Number(raw);
}

/**
 * Streams a job's events as SSE from its log, one event per entry with its sequence number as the
 * SSE id, until the job's end (then `data: [DONE]` if it completed). Any replica can serve it; a
 * dropped client resumes with its last id. A response's job streams the Responses API's typed
 * events instead.
 */
export async function streamJobEvents(deps: ApiDeps, req: Request, res: Response): Promise<void> {
  const jobId = String(req.params.id);
  const owner = ownerOf(res);
  const record = await readRecord(deps, jobId, owner);
  const after = startingAfter(req);
  if (record.endpoint === '/v1/responses') return streamResponseLog(deps, res, record, after);
  const format = formatOf(record);
  const signal = whenClosed(res);
  const sse = createSseWriter(res, { stallMs: deps.config.SSE_STALL_TIMEOUT_MS });
  sse.open();
  try {
    for await (const { sequence, event } of followJobLog(deps, jobId, owner, after, signal)) {
      const chunk = sseEventOf(event, format, record.choices);
      await sse.send({ id: sequence, event: chunk.name, data: { ...chunk.data, sequence_number: sequence } });
      if (chunk.last === 'done') await sse.send({ data: '[DONE]' });
    }
    sse.end();
  } catch (error) {
    if (signal.aborted) return;
    const spoolError = toSpoolError(error);
    if (!spoolError) deps.logger.error({ err: error, requestId: res.locals.requestId }, 'event stream failed');
    await sse.fail(spoolError ?? new InternalError());
  }
}
