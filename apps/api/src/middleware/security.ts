import type { Express, RequestHandler } from 'express';
import type { ApiDeps } from '../deps.js';
import { createJwtVerifier, hasVerificationKey } from '../auth/jwt-verifier.js';
import { ConfigError, type Config } from '@spool/shared';
import { clientLimits } from '../rate-limit/ip-limit.js';
import { requestLimit } from '../rate-limit/request-limit.js';
import { tokenLimit } from '../rate-limit/token-limit.js';
import { authenticate, requireScope } from './auth.js';
import { requireBodyScopes } from './body-scopes.js';
import { cors } from './cors.js';
import { modelAccess } from './model-access.js';
import { sanitizeBody } from './sanitize.js';
import { securityHeaders } from './security-headers.js';

/** Express `trust proxy` from TRUST_PROXY: false, true, a hop count, or addresses/subnets. */
export function trustProxy(value: string): boolean | number | string {
  if (/^(false|no|off|0|)$/i.test(value.trim())) return false;
  if (/^(true|yes|on)$/i.test(value.trim())) return true;
  if (/^\d+$/.test(value.trim())) return Number(value);
  return value;
}

/**
 * Throws a ConfigError unless a usable token key is configured (a long enough secret, a PEM public
 * key, a JWKS URL) or AUTH_DISABLED=true says to serve without auth on purpose.
 */
export function checkAuthConfig(config: Config): void {
  if (config.AUTH_DISABLED) return;
  if (!hasVerificationKey(config)) {
    throw new ConfigError(
      'No token key is configured: set JWT_SECRET_KEY, JWT_PUBLIC_KEY or JWT_JWKS_URL, or AUTH_DISABLED=true to serve without auth on purpose.',
    );
  }
  createJwtVerifier(config);
}

/**
 * What runs before the body is read, in this order: safe headers → CORS (preflights end here) →
 * per-IP limit → failed-auth guard (marks an address that failed too often) → auth (JWT → `res.locals.principal`; a bad token from a marked address gets 429) → requests per minute per
 * token → scope (after the limit, so a 403 is counted and carries the rate-limit headers too). Refuses to build without a key unless AUTH_DISABLED=true.
 */
export function securityBeforeBody(app: Express, deps: ApiDeps): RequestHandler[] {
  const { config, logger, redis } = deps;
  app.set('trust proxy', trustProxy(config.TRUST_PROXY));
  checkAuthConfig(config);
  if (config.AUTH_DISABLED) logger.warn('AUTH_DISABLED=true: every request is served without a token, with every scope. Do not expose this API.');
  const verify = config.AUTH_DISABLED ? undefined : createJwtVerifier(config);
  return [securityHeaders(), cors(config.CORS_ORIGINS), clientLimits(redis, config), authenticate(verify), requestLimit(redis, config), requireScope(logger)];
}

/** What runs once the JSON body is parsed: sanitize → scopes the body asks for → model allowed → tokens per minute. */
export function securityAfterBody(deps: ApiDeps): RequestHandler[] {
  return [sanitizeBody(deps.config, deps.logger), requireBodyScopes, modelAccess(deps.models), tokenLimit(deps.redis, deps.config, deps.registry)];
}
