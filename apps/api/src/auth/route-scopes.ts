import type { Request, Response } from 'express';
import type { Scope } from '@spool/shared';

/**
 * What each path needs, in one place, first match wins: a scope, `token` (any valid token) or
 * `public`. Paths that match no rule are public (`/health`, `/ready`, `/docs`, `/openapi.json`,
 * unknown non-API paths, which 404). A new route is covered by the rule of its prefix; an unforeseen
 * `/v1/*` route still needs a token.
 */
export const ROUTE_SCOPES: { pattern: RegExp; needs: Scope | 'token' | 'public' }[] = [
  { pattern: /^\/v1\/(chat\/completions|completions|models|embeddings|responses|jobs)(\/|$)/, needs: 'generate' },
  { pattern: /^\/v1\/(files|batches)(\/|$)/, needs: 'batch' },
  { pattern: /^\/v1\/functions(\/|$)/, needs: 'functions' },
  { pattern: /^\/v1(\/|$)/, needs: 'token' },
  { pattern: /^\/dashboard\/data(\/|$)/, needs: 'admin' },
  // The dashboard's page and its static files hold no data and must load in a browser, which cannot
  // send a bearer header on navigation; the page's script sends the token for /dashboard/data.
  { pattern: /^\/dashboard(\/|$)/, needs: 'public' },
  { pattern: /^\/(metrics|admin)(\/|$)/, needs: 'admin' },
];

export type RouteAccess = { public: true } | { public: false; scope: Scope | null };

/** The access rule of a path. */
export function routeAccess(path: string): RouteAccess {
  // Express matches paths case-insensitively and ignores a trailing slash: normalise the same way
  // so `/V1/Models/` cannot slip past the table.
  const normalised = path.toLowerCase().replace(/\/+/g, '/');
  const needs = ROUTE_SCOPES.find(({ pattern }) => pattern.test(normalised))?.needs ?? 'public';
  if (needs === 'public') return { public: true };
  return { public: false, scope: needs === 'token' ? null : needs };
}

/** The access rule of a request's path, worked out once per request (three middlewares ask). */
export function requestAccess(req: Request, res: Response): RouteAccess {
  return ((res.locals.routeAccess as RouteAccess | undefined) ??= routeAccess(req.path));
}
