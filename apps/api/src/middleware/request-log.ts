import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { SpoolError } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import type { RequestRecord } from '../request-metrics.js';

/** Mean time per token after the first, from the relay's first and last token times. */
function interTokenMs(res: Response, completionTokens: number): number | undefined {
  const { ttftMs, lastTokenAt, startedAt } = res.locals as { ttftMs?: number; lastTokenAt?: number; startedAt: number };
  const choices = (res.locals.choices as number | undefined) ?? 1;
  if (ttftMs === undefined || lastTokenAt === undefined || completionTokens <= choices) return undefined;
  return (lastTokenAt - startedAt - ttftMs) / (completionTokens - choices);
}

/**
 * Gives each request an id (`x-request-id`) and, when it ends, records it once: one log line (route,
 * model, status, tokens, time to first token, duration, cache, error) and one metrics observation.
 */
export function requestLog(deps: Pick<ApiDeps, 'logger' | 'metrics'>) {
  return function logRequest(req: Request, res: Response, next: NextFunction): void {
    const startedAt = Date.now();
    const requestId = `req_${randomUUID().replaceAll('-', '')}`;
    res.locals.requestId = requestId;
    res.locals.startedAt = startedAt;
    res.setHeader('x-request-id', requestId);
    res.on('close', () => {
      const usage = res.locals.usage as { prompt_tokens: number; completion_tokens: number } | undefined;
      const error = (res.locals.streamError ?? res.locals.error) as SpoolError | undefined;
      const status = res.locals.streamError?.status ?? (res.writableFinished ? res.statusCode : 499);
      // A stream the client left before its end has no usage: count what the relay passed on.
      const completionTokens = usage?.completion_tokens ?? (res.locals.streamedTokens as number | undefined) ?? 0;
      const entry: RequestRecord = {
        requestId,
        method: req.method,
        route: req.route ? `${req.baseUrl}${req.route.path}` : 'unmatched',
        model: res.locals.model,
        status,
        promptTokens: usage?.prompt_tokens ?? 0,
        completionTokens,
        ttftMs: res.locals.ttftMs,
        interTokenMs: interTokenMs(res, completionTokens),
        durationMs: Date.now() - startedAt,
        cache: res.locals.cache,
        errorType: status === 499 ? 'client_closed' : error?.type,
        errorCode: error?.code,
        errorMessage: error?.message,
      };
      deps.metrics.record(entry);
      if (deps.logger.isLevelEnabled('info'))
        deps.logger.info({ ...entry, path: req.path, ...(res.locals.cacheCoalesced ? { cacheCoalesced: true } : {}) }, 'request');
    });
    next();
  };
}
