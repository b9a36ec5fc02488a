import type { NextFunction, Request, Response } from 'express';
import { PermissionDeniedError, type Principal } from '@spool/shared';

/**
 * Scopes a request body can call for beyond its route's: `spool_execute_tools` makes Spool run
 * registry functions on the caller's behalf, which needs `functions` as `/v1/functions/*` does.
 */
export function requireBodyScopes(req: Request, res: Response, next: NextFunction): void {
  const principal = res.locals.principal as Principal | undefined;
  const body = req.body as { spool_execute_tools?: unknown } | undefined;
  if (principal && body?.spool_execute_tools === true && !principal.scopes.includes('functions')) {
    throw new PermissionDeniedError(
      "`spool_execute_tools` runs server-side functions and needs the 'functions' scope.",
      'insufficient_scope',
      'spool_execute_tools',
      'functions',
    );
  }
  next();
}
