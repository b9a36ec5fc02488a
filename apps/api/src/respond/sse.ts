import type { Response } from 'express';
import { SpoolError } from '@spool/shared';

/** One server-sent event: `data` is sent as JSON unless it is a string (`[DONE]`). */
export interface SseEvent {
  data: object | string;
  /** The `event:` field (named events); absent for OpenAI's plain `data:` chunks. */
  event?: string;
  /** The `id:` field a client resumes from (`Last-Event-ID`). */
  id?: number | string;
}

/** A client that took no stream data for the stall timeout; only the request log sees it. */
export class StreamStalledError extends SpoolError {
  constructor(stallMs: number) {
    super(408, `The client read nothing for ${stallMs} ms; the stream was ended.`, 'invalid_request_error', 'stream_stalled');
  }
}

export interface SseWriter {
  /** Whether the status and headers went out (after this, failures go out as an error event). */
  readonly opened: boolean;
  /** Sends status 200 and the event-stream headers now, so the client sees the stream begin. */
  open(): void;
  /**
   * Writes one event (opening the stream first if needed). Resolves at once while the socket takes
   * data, else once the client has read enough of it ('drain'): a slow client slows its stream
   * instead of making the server buffer without bound. A client that takes nothing for the stall
   * timeout gets its response destroyed (which cancels its generation, as for a client that left)
   * and the promise rejects with a StreamStalledError. On a closed response it does nothing.
   */
  send(event: SseEvent): Promise<void>;
  /** Sends `error` as the stream's last event (openai-node throws it as an APIError) and ends it. */
  fail(error: SpoolError): Promise<void>;
  end(): void;
}

/** The bytes of one event on the wire. */
export const sseFrame = (event: SseEvent): string =>
  `${event.id === undefined ? '' : `id: ${event.id}\n`}${event.event ? `event: ${event.event}\n` : ''}data: ${typeof event.data === 'string' ? event.data : JSON.stringify(event.data)}\n\n`;

// No Connection header: Node sends keep-alive itself, and close while the server drains.
const HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' };

/** The one place Spool writes server-sent events: every SSE route writes through one of these. */
export function createSseWriter(res: Response, options: { stallMs: number }): SseWriter {
  let opened = false;
  let stalled = false;
  const gone = () => res.destroyed || res.writableEnded;

  function drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        res.off('drain', done);
        res.off('close', done);
        stalled = true;
        const error = new StreamStalledError(options.stallMs);
        res.locals.streamError = error;
        res.destroy();
        reject(error);
      }, options.stallMs);
      res.once('drain', done).once('close', done);
    });
  }

  const writer: SseWriter = {
    get opened() {
      return opened;
    },
    open() {
      if (opened) return;
      opened = true;
      res.status(200).set(HEADERS);
      res.flushHeaders();
    },
    async send(event) {
      if (gone()) return;
      writer.open();
      if (!res.write(sseFrame(event))) await drained();
    },
    async fail(error) {
      if (stalled || gone()) return;
      res.locals.streamError = error;
      await writer.send({ data: error.toJSON() }).catch(() => undefined);
      writer.end();
    },
    end() {
      if (!gone()) res.end();
    },
  };
  return writer;
}

/** A signal that aborts once the client has gone (or the response has ended). */
export function whenClosed(res: Response): AbortSignal {
  const closed = new AbortController();
  res.on('close', () => closed.abort());
  return closed.signal;
}
