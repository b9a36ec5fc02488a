import { APIError } from 'openai';
import { ContextLengthError, InvalidRequestError, UnavailableError } from '@spool/shared';
import { EngineLostError } from './engine-lost-error.js';

/**
 * An upstream's error by its HTTP status (or, mid-stream, by the `code` of vLLM's
 * `data: {"error": {...}}` frame, which carries the status as a number): the client's fault keeps
 * the upstream's message; a server fault is unavailable once, never re-run on the GPU.
 */
export function upstreamError(status: number, text: string): Error {
  const message = `Upstream: ${text.replace(/^\d{3}\s+/, '')}`;
  if (status === 400 && /context length|max_model_len|maximum context/i.test(text)) return new ContextLengthError(message);
  if (status === 400 || status === 413 || status === 422) return new InvalidRequestError(message, null, 'invalid_request', status);
  if (status === 429 || status >= 500) return new UnavailableError(message, 'upstream_unavailable', 1);
  // 401, 403, 404: the upstream is set up wrong (key, model name), not the request.
  return new UnavailableError(message, 'upstream_error', 5);
}

/** The status an error frame in a stream names: vLLM puts it in `code` (an int, or its text). */
function frameStatus(error: APIError): number {
  const body = (error.error ?? {}) as { code?: unknown };
  const code = Number(body.code);
  return Number.isInteger(code) && code >= 400 && code < 600 ? code : 500;
}

/** Turns an upstream failure into what the worker understands. */
export function translateUpstreamError(error: unknown): Error {
  if (error instanceof APIError) {
    // The SDK throws an APIError without a status for an error frame inside a 200 stream.
    if (error.status !== undefined) return upstreamError(error.status, error.message);
    const body = (error.error ?? {}) as { message?: unknown };
    if (error.error !== undefined) return upstreamError(frameStatus(error), String(body.message ?? error.message));
  }
  // A refused or dropped connection: the server died or restarts; the job runs again.
  return new EngineLostError(`The engine's server went away: ${(error as Error)?.message ?? String(error)}`);
}

/** vLLM's finish reasons that are failures, not endings: `abort` (it dropped the request), `error`. */
export function finishFailure(reason: string | null | undefined): Error | undefined {
  if (reason === 'abort') return new EngineLostError('The engine aborted the request (finish_reason "abort").');
  if (reason === 'error') return new UnavailableError('Upstream: the engine failed while generating (finish_reason "error").', 'upstream_error', 1);
  return undefined;
}
