import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RateLimitError, type Config } from '@spool/shared';
import { requestAccess } from '../auth/route-scopes.js';
import { retryAfterSeconds } from './headers.js';
import { counterStore } from './counter-store.js';
import { createLeasedCounter, type LeasedCounter } from './leased-counter.js';
import { createWindowCounter, type WindowState } from './window-counter.js';

const WINDOW_MS = 60_000;
// Worked out once per request: `req.ip` parses the forwarding headers on every read.
const clientKey = (req: Request, res: Response) => ((res.locals.clientKey as string | undefined) ??= ipKeyGenerator(req.ip ?? 'unknown'));
const isProbe = (req: Request) => req.path === '/health' || req.path === '/ready';

/**
 * Every request from one client IP counts against RATE_LIMIT_IP_RPM, before any token is read,
 * so a flood costs no signature check (and, while a lease lasts, no Redis call). Health probes are
 * not counted. express-rate-limit is the limiter; its store is the leased counter.
 */
export function ipLimit(counter: LeasedCounter, config: Config): RequestHandler {
  if (config.RATE_LIMIT_IP_RPM === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: config.RATE_LIMIT_IP_RPM,
    keyGenerator: clientKey,
    skip: isProbe,
    store: counterStore(counter, config.RATE_LIMIT_IP_RPM, `${config.REDIS_PREFIX}:rl:ip:`),
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
 * refused with 429 before its token is even looked at, which makes guessing tokens slow. Answers
 * without waiting (undefined) while its lease is live, else with a promise.
 */
export function authFailureGuard(redis: Redis, config: Config): (req: Request, res: Response) => Promise<void> | undefined {
  // Leased like the others: a replica sees its own failures at once and other replicas' within a lease.
  const counter = createLeasedCounter(createWindowCounter(redis, `${config.REDIS_PREFIX}:rl:authfail:`, WINDOW_MS));
  const limit = config.RATE_LIMIT_AUTH_FAILURES;
  const check = (state: WindowState) => {
    if (state.used >= limit) {
      throw new RateLimitError('Too many failed authentications from your address; wait before trying again.', retryAfterSeconds(state.resetMs), 'auth_rate_limit_exceeded');
    }
  };
  return function checkAuthFailures(req, res) {
    if (limit === 0 || config.AUTH_DISABLED || requestAccess(req, res).public) return undefined;
    const key = clientKey(req, res);
    res.on('finish', () => {
      if (res.statusCode === 401) void counter.take(key, 1, 0).catch(() => undefined);
    });
    const local = counter.takeNow(key, 0);
    if (local) {
      check(local);
      return undefined;
    }
    return counter.take(key, 0, limit).then(check);
  };
}

/**
 * Both per-IP checks, the IP count first (a refused request still counts against its address).
 * While their leases are live (nearly always) neither waits and the request moves on at once; the
 * IP count then goes straight to the lease express-rate-limit's store would spend. Otherwise
 * express-rate-limit counts it, through that store.
 */
export function clientLimits(redis: Redis, config: Config): RequestHandler {
  const ipCounter = createLeasedCounter(createWindowCounter(redis, `${config.REDIS_PREFIX}:rl:ip:`, WINDOW_MS));
  const perIp = ipLimit(ipCounter, config);
  const failures = authFailureGuard(redis, config);
  const countIp = config.RATE_LIMIT_IP_RPM > 0;
  return function limitClient(req: Request, res: Response, next: NextFunction): void {
    const afterIp = (error?: unknown) => {
      if (error) return next(error);
      let check: Promise<void> | undefined;
      try {
        check = failures(req, res);
      } catch (refused) {
        return next(refused);
      }
      if (!check) return next();
      check.then(() => next(), next);
    };
    const ipCounted = !countIp || isProbe(req) || ipCounter.takeNow(clientKey(req, res), 1) !== undefined;
    if (ipCounted) afterIp();
    else perIp(req, res, afterIp);
  };
}
