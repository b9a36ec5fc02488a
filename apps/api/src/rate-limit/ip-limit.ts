import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RateLimitError, type Config } from '@spool/shared';
import { requestAccess } from '../auth/route-scopes.js';
import { retryAfterSeconds } from './headers.js';
import { counterStore } from './counter-store.js';
import { createLeasedCounter } from './leased-counter.js';
import { createWindowCounter } from './window-counter.js';

const WINDOW_MS = 60_000;
const clientKey = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');

/**
 * Every request from one client IP counts against RATE_LIMIT_IP_RPM, before any token is read,
 * so a flood costs no signature check (and, while a lease lasts, no Redis call). Health probes are
 * not counted.
 */
export function ipLimit(redis: Redis, config: Config): RequestHandler {
  if (config.RATE_LIMIT_IP_RPM === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: config.RATE_LIMIT_IP_RPM,
    keyGenerator: clientKey,
    skip: (req) => req.path === '/health' || req.path === '/ready',
    store: counterStore(createLeasedCounter(createWindowCounter(redis, `${config.REDIS_PREFIX}:rl:ip:`, WINDOW_MS)), config.RATE_LIMIT_IP_RPM, `${config.REDIS_PREFIX}:rl:ip:`),
    standardHeaders: false,
    legacyHeaders: false,
    // The library's start-up checks (trust proxy, X-Forwarded-For, double counting) warn about choices
    // made on purpose here and cost time on every request.
    validate: false,
    handler: (req, res, next) => {
      const info = (req as Request & { rateLimit: { resetTime?: Date } }).rateLimit;
      const resetMs = info.resetTime ? info.resetTime.getTime() - Date.now() : WINDOW_MS;
      next(new RateLimitError('Too many requests from your address; slow down.', retryAfterSeconds(resetMs), 'ip_rate_limit_exceeded'));
    },
  });
}

/**
 * Failed authentications count harder: each 401 adds to a small per-IP budget
 * (RATE_LIMIT_AUTH_FAILURES a minute), and once it is spent every guarded request from that IP is
 * refused with 429 before its token is even looked at, which makes guessing tokens slow.
 */
export function authFailureGuard(redis: Redis, config: Config): (req: Request, res: Response) => Promise<void> {
  // Leased like the others: a replica sees its own failures at once and other replicas' within a lease.
  const counter = createLeasedCounter(createWindowCounter(redis, `${config.REDIS_PREFIX}:rl:authfail:`, WINDOW_MS));
  const limit = config.RATE_LIMIT_AUTH_FAILURES;
  return async function checkAuthFailures(req, res) {
    if (limit === 0 || config.AUTH_DISABLED || requestAccess(req, res).public) return;
    const key = clientKey(req);
    res.on('finish', () => {
      if (res.statusCode === 401) void counter.take(key, 1, 0).catch(() => undefined);
    });
    const state = await counter.take(key, 0, limit);
    if (state.used >= limit) {
      throw new RateLimitError('Too many failed authentications from your address; wait before trying again.', retryAfterSeconds(state.resetMs), 'auth_rate_limit_exceeded');
    }
  };
}

/**
 * Both per-IP checks at once: the failed-auth lookup starts before the IP limiter runs, so when both
 * need Redis, ioredis' auto-pipelining sends their calls in one round trip.
 */
export function clientLimits(redis: Redis, config: Config): RequestHandler {
  const perIp = ipLimit(redis, config);
  const failures = authFailureGuard(redis, config);
  return function limitClient(req: Request, res: Response, next: NextFunction): void {
    const failureCheck = failures(req, res);
    // Handled below once the IP limiter answers; marked handled now, since with a live lease it
    // can reject before the limiter is done.
    failureCheck.catch(() => undefined);
    perIp(req, res, (error?: unknown) => {
      if (error) {
        next(error);
        return;
      }
      failureCheck.then(() => next(), next);
    });
  };
}
