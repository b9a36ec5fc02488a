import { SpoolError } from './errors.js';

/** RFC 6750 `error` values of a Bearer challenge. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

function challenge(error: BearerErrorCode | null, description?: string, scope?: string): string {
  const parts = ['realm="spool"'];
  if (error) parts.push(`error="${error}"`);
  // A header value may not carry quotes or control characters from the description.
  if (description) parts.push(`error_description="${description.replace(/[^\x20-\x7e]|"/g, '')}"`);
  if (scope) parts.push(`scope="${scope}"`);
  return `Bearer ${parts.join(', ')}`;
}

/** 401: no token, or a token that does not verify. Carries a `WWW-Authenticate` challenge. */
export class AuthenticationError extends SpoolError {
  override name = 'AuthenticationError';
  /** `bearerError` null: the request had no credentials at all, so the challenge names no error (RFC 6750 §3.1). */
  constructor(message: string, code = 'invalid_api_key', bearerError: BearerErrorCode | null = 'invalid_token') {
    super(401, message, 'invalid_request_error', code, null, { 'WWW-Authenticate': challenge(bearerError, bearerError ? message : undefined) });
  }
}

/** 403: a valid token that may not do this (a missing scope, a model outside its `models`). */
export class PermissionDeniedError extends SpoolError {
  override name = 'PermissionDeniedError';
  constructor(message: string, code: string, param: string | null = null, scope?: string) {
    super(403, message, 'invalid_request_error', code, param, scope ? { 'WWW-Authenticate': challenge('insufficient_scope', message, scope) } : {});
  }
}
