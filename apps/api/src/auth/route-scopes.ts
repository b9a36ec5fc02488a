import type { Scope } from '@spool/shared';

/**
 * What each path needs, in one place, first match wins. `scope: null` means any valid token.
 * Paths that match no rule are public (`/health`, `/ready`, unknown non-API paths, which 404).
 * A new route is covered by the rule of its prefix; an unforeseen `/v1/*` route still needs a token.
 */
export const ROUTE_SCOPES: { pattern: RegExp; scope: Scope | null }[] = [
  { pattern: /^\/v1\/(chat\/completions|completions|models|embeddings|responses|jobs)(\/|$)/, scope: 'generate' },
  { pattern: /^\/v1\/(files|batches)(\/|$)/, scope: 'batch' },
  { pattern: /^\/v1\/functions(\/|$)/, scope: 'functions' },
  { pattern: /^\/(metrics|dashboard|admin)(\/|$)/, scope: 'admin' },
  { pattern: /^\/v1(\/|$)/, scope: null },
];

export type RouteAccess = { public: true } | { public: false; scope: Scope | null };

/** The access rule of a path. */
export function routeAccess(path: string): RouteAccess {
  // Express matches paths case-insensitively and ignores a trailing slash: normalise the same way
  // so `/V1/Models/` cannot slip past the table.
  const normalised = path.toLowerCase().replace(/\/+/g, '/');
  const rule = ROUTE_SCOPES.find(({ pattern }) => pattern.test(normalised));
  return rule ? { public: false, scope: rule.scope } : { public: true };
}
