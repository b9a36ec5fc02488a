import type { NextFunction, Request, Response } from 'express';
import { ZodError, type z } from 'zod';
import { InternalError, InvalidRequestError, isRedisUnavailable, SpoolError, UnavailableError } from '@spool/shared';
import type { Logger } from '@spool/shared';

/** A zod issue path as OpenAI writes a `param`: `messages[0].role`. */
export function paramOf(path: PropertyKey[]): string | null {
  if (path.length === 0) return null;
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`)).join('');
}

/**
 * The issue to report: where a union failed in every branch and one branch says why in words of
 * its own (a custom issue: "This model does not accept images"), that, not zod's "Invalid input".
 */
function specificIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  const explained = issue.errors.flat().filter((inner) => inner.code === 'custom' || inner.code === 'invalid_union');
  for (const inner of explained) {
    const found = specificIssue({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue);
    if (found.code === 'custom') return found;
  }
  return issue;
}

/** Maps anything thrown to a SpoolError: the only place where errors take their wire shape. */
export function toSpoolError(error: unknown): SpoolError | undefined {
  if (error instanceof SpoolError) return error;
  if (error instanceof ZodError) {
    const issue = specificIssue(error.issues[0]!);
    const param = paramOf(issue.path);
    return new InvalidRequestError(param ? `Invalid value for '${param}': ${issue.message}` : issue.message, param, 'invalid_value');
  }
  if (isRedisUnavailable(error)) return new UnavailableError('The service cannot reach its queue store (Redis) right now; retry shortly.');
  const bodyError = error as { type?: string; status?: number };
  if (bodyError?.type === 'entity.parse.failed') {
    return new InvalidRequestError('We could not parse the JSON body of your request.', null, 'invalid_json');
  }
  if (bodyError?.type === 'entity.too.large') {
    return new InvalidRequestError('The request body is too large.', null, 'request_too_large', 413);
  }
  if (bodyError?.status && bodyError.status >= 400 && bodyError.status < 500) {
    return new InvalidRequestError('The request could not be read.', null, 'invalid_request', bodyError.status);
  }
  return undefined;
}

export function errorHandler(logger: Logger) {
  return function handleError(error: unknown, req: Request, res: Response, _next: NextFunction): void {
    let spoolError = toSpoolError(error);
    if (!spoolError) {
      logger.error({ err: error, requestId: res.locals.requestId }, 'unhandled error');
      spoolError = new InternalError();
    }
    res.locals.error = spoolError;
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(spoolError.status).set(spoolError.headers).json(spoolError.toJSON());
  };
}
