import { setMaxListeners } from 'node:events';
import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { UnavailableError, type Logger, type SpoolError } from '@spool/shared';
import { sseFrame } from '../respond/sse.js';
import type { InFlight } from './in-flight.js';

/** What the routes see of a shutdown. */
export interface DrainState {
  /** From the first signal on: `/ready` answers 503 and every response closes its connection. */
  readonly draining: boolean;
  /**
   * Aborts when the grace period ends with requests still running; its reason is the error they
   * end with (503 `server_shutting_down`), as a last SSE event or as their answer.
   */
  readonly expired: AbortSignal;
}

export interface Drain extends DrainState {
  /**
   * Stops accepting connections, closes idle keep-alive connections (a busy one once its response
   * has ended and no next request came), lets in-flight requests (streams included) finish for up
   * to `graceMs`, then ends what is left cleanly. Resolves once the server has closed.
   */
  run(server: Server, inFlight: InFlight, graceMs: number): Promise<void>;
}

/** Requests that ignore `expired` get this long after it before they are answered from here. */
const EXPIRED_GRACE_MS = 2000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * A connection that went idle this recently may already carry its client's next request: it gets
 * this long to send it (served, then closed) before it is closed. Closing it at once races with a
 * request on the wire, which its client then sees as a reset and cannot safely retry.
 */
const IDLE_LINGER_MS = 1000;

/** Closes the connections idle for IDLE_LINGER_MS or more. */
function closeIdle(inFlight: InFlight): void {
  const now = Date.now();
  for (const [socket, idleSince] of inFlight.idleConnections()) if (now - idleSince >= IDLE_LINGER_MS) socket.destroy();
}

/** A response that has not started yet closes its connection when it ends. */
function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}

/** The answer of a request still running when even the extra time is over. */
function endNow(res: ServerResponse, error: SpoolError): void {
  if (res.writableEnded || res.destroyed) return;
  if (!res.headersSent) {
    res.writeHead(error.status, { ...error.headers, 'Content-Type': 'application/json; charset=utf-8', Connection: 'close' });
    res.end(JSON.stringify(error.toJSON()));
  } else if (String(res.getHeader('content-type')).startsWith('text/event-stream')) {
    res.end(sseFrame({ data: error.toJSON() }));
  } else {
    // A body half sent cannot carry an error: a cut tells the client it is incomplete.
    res.destroy();
  }
}

export function createDrain(logger: Logger): Drain {
  let draining = false;
  const expiry = new AbortController();
  // Every request in flight listens to it (job-client.ts, follow-log.ts): hundreds at once are normal,
  // not the leak Node's default limit of 10 warns about.
  setMaxListeners(0, expiry.signal);

  return {
    get draining() {
      return draining;
    },
    expired: expiry.signal,
    async run(server, inFlight, graceMs) {
      if (draining) return;
      draining = true;
      // Requests that arrive on a kept-alive connection from now on are served, then it closes.
      server.prependListener('request', (_req, res: ServerResponse) => closeAfter(res));
      const started = Date.now();
      logger.info({ inFlight: inFlight.size, graceMs }, 'draining: no new connections; in-flight requests may finish');
      // net.Server's close: stop listening. http.Server's would also close every idle connection
      // at once, racing with requests already on their way (see IDLE_LINGER_MS).
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      for (const res of inFlight.responses()) closeAfter(res);
      closeIdle(inFlight);
      // Connections go idle as their responses end; close them then, not after the keep-alive timeout.
      const sweep = setInterval(() => closeIdle(inFlight), 100);
      try {
        const finished = await Promise.race([closed.then(() => true), sleep(graceMs).then(() => false)]);
        if (!finished) {
          const error = new UnavailableError('The server is shutting down; retry the request.', 'server_shutting_down');
          logger.warn({ inFlight: inFlight.size, graceMs }, 'grace period over: ending the requests still running');
          expiry.abort(error);
          if (!(await Promise.race([closed.then(() => true), sleep(EXPIRED_GRACE_MS).then(() => false)]))) {
            for (const res of inFlight.responses()) endNow(res, error);
            server.closeAllConnections();
          }
          await closed;
        }
      } finally {
        clearInterval(sweep);
      }
      logger.info({ drainMs: Date.now() - started }, 'drained');
    },
  };
}
