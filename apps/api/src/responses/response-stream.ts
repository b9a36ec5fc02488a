import type { Response } from 'express';
import { SpoolError, spoolErrorFromBody, type JobEvent } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { followJobLog } from '../jobs/follow-log.js';
import type { JobRecord } from '../jobs/job-record.js';
import { createSseWriter, StreamStalledError, whenClosed, type SseEvent } from '../respond/sse.js';
import { createResponseEvents, type ResponseEvent, type ResponseEvents } from './response-events.js';
import type { ResponseObject, StoredResponse } from './response-object.js';

export interface ResponseStreamOptions {
  /** The last sequence number the client has (-1: none): earlier events are numbered, not sent. */
  after: number;
  /**
   * Hold the headers back until the first output: an error before it is answered with its own
   * HTTP status, as a chat stream's is.
   */
  deferHeaders: boolean;
  startedAt: number;
  /** A stream whose client takes nothing for this long is ended (SSE_STALL_TIMEOUT_MS). */
  stallMs: number;
}

/**
 * Writes a response's typed events as SSE (`event: <type>`, `id: <sequence_number>`), numbered
 * from 0 in the order `events` produces them, until the response ends. Errors after the headers
 * went out close the stream with an `error` and a `response.failed` event.
 */
export async function writeResponseStream(
  res: Response,
  events: ResponseEvents,
  source: AsyncIterable<JobEvent>,
  options: ResponseStreamOptions,
): Promise<void> {
  let sequence = 0;
  const sse = createSseWriter(res, { stallMs: options.stallMs });
  const held: SseEvent[] = [];
  res.locals.choices = 1;
  if (!options.deferHeaders) sse.open();
  const send = async (batch: ResponseEvent[]) => {
    for (const event of batch) {
      const number = sequence++;
      if (number <= options.after) continue;
      const sseEvent = { event: event.type, id: number, data: { ...event, sequence_number: number } };
      if (sse.opened) await sse.send(sseEvent);
      else held.push(sseEvent);
    }
  };
  const openNow = async () => {
    if (sse.opened) return;
    sse.open();
    for (const event of held.splice(0)) await sse.send(event);
  };

  await send(events.opening());
  try {
    for await (const event of source) {
      if (event.type === 'text-delta' || event.type === 'tool-call-delta') {
        const now = Date.now();
        res.locals.ttftMs ??= now - options.startedAt;
        res.locals.lastTokenAt = now;
        // Counted as they come, so the log line of a stream the client abandons says what was generated.
        res.locals.streamedTokens = (res.locals.streamedTokens ?? 0) + (event.tokens ?? 1);
        await openNow();
      }
      if (event.type === 'start' && event.attempt > 1) res.locals.streamedTokens = 0;
      if (event.type === 'done') {
        res.locals.usage = event.usage;
        await openNow();
      }
      if (event.type === 'error') {
        if (!sse.opened) throw spoolErrorFromBody(event.status, event.error);
        res.locals.streamError = spoolErrorFromBody(event.status, event.error);
      }
      await send(events.add(event));
      if (event.type === 'done' || event.type === 'error') break;
    }
  } catch (error) {
    if (!sse.opened) throw error;
    if (error instanceof StreamStalledError) return;
    const spoolError =
      error instanceof SpoolError
        ? error
        : new SpoolError(500, 'The response stream broke off; retrieve the response to see how it ended.', 'server_error', 'stream_error');
    res.locals.streamError = spoolError;
    await send(events.fail(spoolError.toJSON().error)).catch(() => undefined);
  } finally {
    if (sse.opened) sse.end();
  }
}

/** Waits for a response's end and returns its final body; a failure is thrown with its HTTP status. */
export async function collectResponse(res: Response, events: ResponseEvents, source: AsyncIterable<JobEvent>): Promise<ResponseObject> {
  res.locals.choices = 1;
  for await (const event of source) {
    if (event.type === 'error') throw spoolErrorFromBody(event.status, event.error);
    const added = events.add(event);
    if (event.type === 'done') {
      res.locals.usage = event.usage;
      return added[0]!.response as ResponseObject;
    }
  }
  throw new SpoolError(500, 'The generation ended without a result.', 'server_error', 'internal_error');
}

async function* jobEventsOf(entries: AsyncIterable<{ event: JobEvent }>): AsyncIterable<JobEvent> {
  for await (const { event } of entries) yield event;
}

/**
 * Streams a stored response from its job's log: `GET /v1/responses/{id}?stream=true`, a
 * background request with `stream: true`, and `GET /v1/jobs/{id}/events` of a response. The
 * events are numbered from the log's start every time, so `after` resumes exactly.
 */
export async function streamResponseLog(deps: ApiDeps, res: Response, record: JobRecord, after: number): Promise<void> {
  const meta = { id: record.id, model: record.requestedModel, created: record.created };
  const events = createResponseEvents(meta, record.body as StoredResponse);
  const signal = whenClosed(res);
  const source = jobEventsOf(followJobLog(deps, record.id, record.owner, -1, signal));
  await writeResponseStream(res, events, source, { after, deferHeaders: false, startedAt: Date.now(), stallMs: deps.config.SSE_STALL_TIMEOUT_MS });
}
