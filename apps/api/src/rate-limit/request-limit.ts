import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit, type RateLimitInfo } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RateLimitError, type Config, type Principal } from '@spool/shared';
import { retryAfterSeconds, setRateLimitHeaders } from './headers.js';
import { redisStore } from './redis-store.js';

const WINDOW_MS = 60_000;
const PROPERTY = 'spoolRequestLimit';

/** The principal's requests-per-minute budget: its `rpm` claim, else RATE_LIMIT_RPM (0 = none). */
export const requestBudget = (principal: Principal | undefined, config: Config) => principal?.rpm ?? config.RATE_LIMIT_RPM;

function writeHeaders(req: Request, res: Response): void {
  const info = (req as Request & Record<string, RateLimitInfo | undefined>)[PROPERTY];
  if (info) setRateLimitHeaders(res, 'requests', info.limit, info.used, info.resetTime ? info.resetTime.getTime() - Date.now() : WINDOW_MS);
}

/**
 * Requests per minute per token `sub`, counted in Redis so the budget holds across replicas.
 * Skipped while AUTH_DISABLED=true: every caller is then one anonymous principal, and the per-IP
 * limit is what applies.
 */
export function requestLimit(redis: Redis, config: Config): RequestHandler {
  if (config.AUTH_DISABLED) return (_req, _res, next) => next();
  const limiter = rateLimit({
    windowMs: WINDOW_MS,
    limit: (_req, res) => requestBudget(res.locals.principal, config),
    keyGenerator: (_req, res) => (res.locals.principal as Principal).sub,
    skip: (_req, res) => !res.locals.principal || requestBudget(res.locals.principal, config) === 0,
    requestPropertyName: PROPERTY,
    store: redisStore(redis, `${config.REDIS_PREFIX}:rl:rpm:`),
    standardHeaders: false,
    legacyHeaders: false,
    validate: { trustProxy: false, xForwardedForHeader: false, keyGeneratorIpFallback: false },
    handler: (req, res, next) => {
      writeHeaders(req, res);
      const info = (req as Request & Record<string, RateLimitInfo>)[PROPERTY]!;
      const resetMs = info.resetTime ? info.resetTime.getTime() - Date.now() : WINDOW_MS;
      next(new RateLimitError(`Rate limit reached: ${info.limit} requests per minute for this token.`, retryAfterSeconds(resetMs), 'rate_limit_exceeded'));
    },
  });
  return function limitRequests(req: Request, res: Response, next: NextFunction): void {
    void limiter(req, res, (error?: unknown) => {
      if (!error) writeHeaders(req, res);
      next(error);
    });
  };
}
