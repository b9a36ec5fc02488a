import { z } from 'zod';

/** Settings of the API's HTTP server: how long it waits on clients. */
export const httpSettings = {
  /** The whole request head (line and headers) must arrive within this long of its first byte. */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /**
   * The whole request, body included, must arrive within this long (0: no limit). It bounds how
   * long a slow upload holds a connection; it does not apply to the response, so a long stream is
   * never cut by it.
   */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().nonnegative().default(120_000),
  /** An idle keep-alive connection is closed after this long; above a load balancer's idle timeout (often 60 s). */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().positive().default(65_000),
  /** A stream whose client takes no data for this long is ended and its generation cancelled. */
  SSE_STALL_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
};

/** Node refuses a headers timeout longer than a (non-zero) request timeout: say so at start-up. */
export function checkHttpSettings(settings: { HTTP_HEADERS_TIMEOUT_MS: number; HTTP_REQUEST_TIMEOUT_MS: number }, context: z.RefinementCtx): void {
  if (settings.HTTP_REQUEST_TIMEOUT_MS > 0 && settings.HTTP_HEADERS_TIMEOUT_MS > settings.HTTP_REQUEST_TIMEOUT_MS) {
    context.addIssue({
      code: 'custom',
      path: ['HTTP_HEADERS_TIMEOUT_MS'],
      message: `must not exceed HTTP_REQUEST_TIMEOUT_MS (${settings.HTTP_REQUEST_TIMEOUT_MS})`,
    });
  }
}
