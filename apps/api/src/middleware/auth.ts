import type { NextFunction, Request, Response } from 'express';
import { ANONYMOUS_PRINCIPAL, AuthenticationError, PermissionDeniedError, type Logger, type Principal, type RateLimitError } from '@spool/shared';
import type { JwtVerifier } from '../auth/jwt-verifier.js';
import { requestAccess } from '../auth/route-scopes.js';

const BEARER = /^Bearer +([A-Za-z0-9_\-.~+/]+=*) *$/i;

/**
 * Puts the caller's principal on `res.locals.principal`: from the bearer JWT on every path the
 * scope table guards, or (AUTH_DISABLED=true: `verify` undefined) the anonymous principal unless
 * one was set before.
 * Answers 401 for a missing or bad token, or the failed-auth guard's 429 (`res.locals.authLockout`)
 * once the client's address has failed too often; a valid token is served either way.
 */
export function authenticate(verify: JwtVerifier | undefined) {
  // Not async: a token verified lately (nearly every request) is taken without a promise.
  return function authenticateRequest(req: Request, res: Response, next: NextFunction): void | Promise<void> {
    if (!verify) {
      // An embedding app (or a test) may have set the principal already; keep it.
      res.locals.principal ??= ANONYMOUS_PRINCIPAL;
      return next();
    }
    if (requestAccess(req, res).public) return next();
    const refuse = (error: unknown): never => {
      throw error instanceof AuthenticationError ? ((res.locals.authLockout as RateLimitError | undefined) ?? error) : error;
    };
    const header = req.get('authorization');
    if (!header) return refuse(new AuthenticationError('You did not provide a token: send `Authorization: Bearer <JWT>`.', 'missing_api_key', null));
    const match = BEARER.exec(header);
    if (!match) return refuse(new AuthenticationError('The Authorization header must be `Bearer <JWT>`.', 'invalid_api_key', 'invalid_request'));
    const known = verify.known(match[1]!);
    if (known) {
      res.locals.principal = known;
      return next();
    }
    return verify(match[1]!).then((principal) => {
      res.locals.principal = principal;
      next();
    }, refuse);
  };
}

/** 403 unless the principal holds the scope the route table asks for this path. */
export function requireScope(logger: Logger) {
  return function checkScope(req: Request, res: Response, next: NextFunction): void {
    const access = requestAccess(req, res);
    const principal = res.locals.principal as Principal | undefined;
    if (access.public || !access.scope || !principal || principal.scopes.includes(access.scope)) return next();
    logger.info({ requestId: res.locals.requestId, sub: principal.sub, scope: access.scope }, 'missing scope');
    throw new PermissionDeniedError(`This token lacks the '${access.scope}' scope needed for ${req.path}.`, 'insufficient_scope', null, access.scope);
  };
}
