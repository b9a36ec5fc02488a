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
 * (RATE_LIMIT_AUTH_FAILURES a minute). Once it is spent, a request from that IP whose token is
 * missing or bad gets 429 instead of 401, which makes guessing tokens slow; a request with a valid
 * token is still served, so a few bad tokens cannot lock every user behind one address (an office
 * NAT, a proxy) out of every replica. The guard only marks the request (`res.locals.authLockout`);
 * authentication decides, once it knows whether the token is good. Answers without waiting
 * (undefined) while its lease is live, else with a promise.
 */
export function authFailureGuard(redis: Redis, config: Config): (req: Request, res: Response) => Promise<void> | undefined {
  // Leased like the others: a replica sees its own failures at once and other replicas' within a lease.
  const counter = createLeasedCounter(createWindowCounter(redis, `${config.REDIS_PREFIX}:rl:authfail:`, WINDOW_MS));
  const limit = config.RATE_LIMIT_AUTH_FAILURES;
  return function checkAuthFailures(req, res) {
    if (limit === 0 || config.AUTH_DISABLED || requestAccess(req, res).public) return undefined;
    const key = clientKey(req, res);
    const mark = (state: WindowState) => {
      if (state.used < limit) return;
      res.locals.authLockout = new RateLimitError(
        'Too many failed authentications from your address; wait before trying again.',
        retryAfterSeconds(state.resetMs),
        'auth_rate_limit_exceeded',
      );
    };
    res.on('finish', () => {
      // A bad token refused by the lockout is a failure too: a guesser stays locked out.
      const failed = res.statusCode === 401 || (res.locals.authLockout !== undefined && res.locals.error === res.locals.authLockout);
      if (failed) void counter.take(key, 1, 0).catch(() => undefined);
    });
    const local = counter.takeNow(key, 0);
    if (local) {
      mark(local);
      return undefined;
    }
    return counter.take(key, 0, limit).then(mark);
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
      const check = failures(req, res);
      if (!check) return next();
      check.then(() => next(), next);
    };
    const ipCounted = !countIp || isProbe(req) || ipCounter.takeNow(clientKey(req, res), 1) !== undefined;
    if (ipCounted) afterIp();
    else perIp(req, res, afterIp);
  };
}
