import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimitError, type Config, type Principal } from '@spool/shared';
import { retryAfterSeconds, setRateLimitHeaders } from './headers.js';
import { createLeasedCounter } from './leased-counter.js';
import { createWindowCounter, type WindowState } from './window-counter.js';

/** The principal's requests-per-minute budget: its `rpm` claim, else RATE_LIMIT_RPM (0 = none). */
export const requestBudget = (principal: Principal | undefined, config: Config) => principal?.rpm ?? config.RATE_LIMIT_RPM;

/**
 * Requests per minute per token `sub`, counted in Redis so the budget holds across replicas (through
 * a lease: see leased-counter.ts). The limit differs per token (its `rpm` claim), which is why this is
 * the weighted counter and not an express-rate-limit limiter. Skipped while AUTH_DISABLED=true:
 * every caller is then one anonymous principal, and the per-IP limit is what applies.
 */
export function requestLimit(redis: Redis, config: Config) {
  const counter = createLeasedCounter(createWindowCounter(redis, `${config.REDIS_PREFIX}:rl:rpm:`));
  // Not async: while the lease lasts (nearly every request) the answer needs no promise.
  return function limitRequests(_req: Request, res: Response, next: NextFunction): void | Promise<void> {
    const principal = res.locals.principal as Principal | undefined;
    const limit = requestBudget(principal, config);
    if (config.AUTH_DISABLED || !principal || limit === 0) return next();
    const answer = (state: WindowState) => {
      setRateLimitHeaders(res, 'requests', limit, state.allowed ? state.used : limit, state.resetMs);
      if (!state.allowed)
        throw new RateLimitError(`Rate limit reached: ${limit} requests per minute for this token.`, retryAfterSeconds(state.resetMs), 'rate_limit_exceeded');
      next();
    };
    const local = counter.takeNow(principal.sub, 1);
    if (local) return answer(local);
    return counter.take(principal.sub, 1, limit).then(answer);
  };
}
