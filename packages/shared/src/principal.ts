/**
 * Who is calling, from the JWT's claims (or an anonymous principal with every scope when auth is
 * disabled on purpose). Middleware puts it on `res.locals.principal`; routes, rate limits, caches and
 * job ownership read it from there.
 */
export interface Principal {
  /** The token's `sub`: the tenant key for caches, job and batch ownership, and rate limits. */
  sub: string;
  /** OAuth 2.0 scopes: `generate`, `batch`, `functions`, `admin`. */
  scopes: string[];
  /** Models this principal may use; undefined means all. */
  models?: string[];
  /** Per-token limits that override the defaults. */
  rpm?: number;
  tpm?: number;
}

export const SCOPES = ['generate', 'batch', 'functions', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** The principal of every request while AUTH_DISABLED=true. */
export const ANONYMOUS_PRINCIPAL: Principal = { sub: 'anonymous', scopes: [...SCOPES] };
