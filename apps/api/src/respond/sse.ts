import type { Response } from 'express';

/** Sends the headers of a server-sent event stream now. */
export function openEventStream(res: Response): void {
  res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
}

/** A signal that aborts once the client has gone (or the response has ended). */
export function whenClosed(res: Response): AbortSignal {
  const closed = new AbortController();
  res.on('close', () => closed.abort());
  return closed.signal;
}
