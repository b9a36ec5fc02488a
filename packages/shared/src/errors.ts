/** The `error` object of OpenAI's error body. */
export interface OpenAIErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** Base of every error a client may see; its fields are OpenAI's. */
export class SpoolError extends Error {
  override name = 'SpoolError';
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON(): { error: OpenAIErrorBody } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export class InvalidRequestError extends SpoolError {
  constructor(message: string, param: string | null = null, code: string | null = 'invalid_request', status = 400) {
    super(status, message, 'invalid_request_error', code, param);
  }
}

export class NotFoundError extends SpoolError {
  constructor(message: string, code = 'not_found', param: string | null = null) {
    super(404, message, 'invalid_request_error', code, param);
  }
}

export class ModelNotFoundError extends NotFoundError {
  constructor(model: string) {
    super(`The model '${model}' does not exist or you do not have access to it.`, 'model_not_found', 'model');
  }
}

export class ContextLengthError extends InvalidRequestError {
  constructor(message: string) {
    super(message, 'messages', 'context_length_exceeded');
  }
}

export class RateLimitError extends SpoolError {
  constructor(message: string, retryAfterSeconds: number, code = 'rate_limit_exceeded') {
    super(429, message, 'rate_limit_error', code, null, { 'Retry-After': String(retryAfterSeconds) });
  }
}

export class UnavailableError extends SpoolError {
  constructor(message: string, code = 'service_unavailable', retryAfterSeconds = 1) {
    super(503, message, 'server_error', code, null, { 'Retry-After': String(retryAfterSeconds) });
  }
}

export class InternalError extends SpoolError {
  constructor(message = 'The server had an error while processing your request.') {
    super(500, message, 'server_error', 'internal_error');
  }
}

/** Rebuilds a SpoolError from its wire body (the worker sends errors to the API as plain JSON). */
export function spoolErrorFromBody(status: number, body: OpenAIErrorBody): SpoolError {
  return new SpoolError(status, body.message, body.type, body.code, body.param);
}

/**
 * A failed job's reason as BullMQ keeps it: the error its client got, as JSON. Whoever reads the job
 * later (a request whose `error` event was lost, a batch line) then answers with the same status and
 * body instead of a bare 500.
 */
export function jobFailureReason(error: SpoolError): string {
  return JSON.stringify({ status: error.status, ...error.toJSON() });
}

/** The error a failed job's reason holds; undefined where the reason is not one (a crash's message). */
export function errorFromJobFailure(reason: string | undefined): SpoolError | undefined {
  try {
    const { status, error } = JSON.parse(reason ?? '') as { status?: unknown; error?: Partial<OpenAIErrorBody> };
    if (typeof status !== 'number' || status < 400 || status > 599 || typeof error?.message !== 'string' || typeof error.type !== 'string') return undefined;
    return spoolErrorFromBody(status, { message: error.message, type: error.type, param: error.param ?? null, code: error.code ?? null });
  } catch {
    return undefined;
  }
}
