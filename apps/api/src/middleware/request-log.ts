import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ApiDeps } from '../deps.js';

/**
 * Gives each request an id (`x-request-id`) and writes one log line when it ends: route, model,
 * status, tokens, time to first token and duration.
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
      const status = res.locals.streamError?.status ?? (res.writableFinished ? res.statusCode : 499);
      const entry = {
        requestId,
        route: `${req.method} ${req.route?.path ?? req.path}`,
        model: res.locals.model,
        status,
        promptTokens: usage?.prompt_tokens ?? 0,
        completionTokens: usage?.completion_tokens ?? 0,
        ttftMs: res.locals.ttftMs,
        durationMs: Date.now() - startedAt,
        cache: res.locals.cache,
      };
      deps.metrics.record(entry);
      deps.logger.info(entry, 'request');
    });
    next();
  };
}
