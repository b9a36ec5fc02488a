import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimitError, type Config, type Principal, type TokenUsage } from '@spool/shared';
import type { WorkerRegistry } from '../worker-registry.js';
import { retryAfterSeconds, setRateLimitHeaders } from './headers.js';
import { reservedTokens } from './token-estimate.js';
import { createLeasedCounter } from './leased-counter.js';
import { createWindowCounter, type WindowState } from './window-counter.js';

/** The principal's tokens-per-minute budget: its `tpm` claim, else RATE_LIMIT_TPM (0 = none). */
export const tokenBudget = (principal: Principal | undefined, config: Config) => principal?.tpm ?? config.RATE_LIMIT_TPM;

/**
 * Tokens per minute per token `sub`. A generation reserves its prompt estimate + max tokens when it
 * is admitted; when the response ends the reservation is corrected to the real usage the route
 * left on `res.locals.usage`, or given back when the request failed before generating anything.
 */
export function tokenLimit(redis: Redis, config: Config, registry: Pick<WorkerRegistry, 'contextLength'>) {
  const counter = createLeasedCounter(createWindowCounter(redis, `${config.REDIS_PREFIX}:rl:tpm:`));
  // Not async: while the lease lasts (nearly every request) the answer needs no promise.
  return function limitTokens(req: Request, res: Response, next: NextFunction): void | Promise<void> {
    const principal = res.locals.principal as Principal | undefined;
    const limit = tokenBudget(principal, config);
    if (config.AUTH_DISABLED || !principal || limit === 0) return next();
    const model = typeof req.body?.model === 'string' ? (req.body.model as string) : '';
    const cost = req.method === 'POST' ? reservedTokens(req.body, registry.contextLength(model) ?? config.MODEL_CONTEXT_SIZE) : 0;
    const answer = (state: WindowState) => {
      setRateLimitHeaders(res, 'tokens', limit, state.used, state.resetMs);
      if (!state.allowed) {
        const message =
          cost > limit
            ? `This request may use up to ${cost} tokens, more than this token's ${limit} tokens per minute; lower max_tokens or the prompt.`
            : `Rate limit reached: ${limit} tokens per minute for this token (used ${state.used}, this request needs up to ${cost}).`;
        throw new RateLimitError(message, retryAfterSeconds(state.resetMs), 'tokens_rate_limit_exceeded');
      }
      if (cost > 0) {
        res.once('close', () => {
          const usage = res.locals.usage as TokenUsage | undefined;
          const cacheHit = String(res.locals.cache ?? '').startsWith('hit');
          // A cache hit or an error status: nothing was generated. No usage and a success (an async job,
          // or a client that left mid-stream): the tokens may be spent, so the reservation stands.
          const delta = usage ? usage.total_tokens - cost : cacheHit || res.statusCode >= 400 ? -cost : 0;
          void counter.adjust(principal.sub, delta).catch(() => undefined);
        });
      }
      next();
    };
    const local = counter.takeNow(principal.sub, cost);
    if (local) return answer(local);
    return counter.take(principal.sub, cost, limit).then(answer);
  };
}
