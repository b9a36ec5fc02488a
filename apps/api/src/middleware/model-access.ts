import type { NextFunction, Request, Response } from 'express';
import type { ModelSpec } from '@spool/shared';
import { assertModelAllowed } from '../auth/model-access.js';

const MODEL_PATH = /^\/v1\/models\/(.+)$/i;

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** 403 for a request body's `model`, or a `GET /v1/models/{id}`, outside the token's `models` claim. */
export function modelAccess(models: ModelSpec[]) {
  return function checkModelAccess(req: Request, res: Response, next: NextFunction): void {
    const principal = res.locals.principal;
    if (principal?.models) {
      const body = req.body as { model?: unknown } | undefined;
      if (body && typeof body === 'object' && typeof body.model === 'string') assertModelAllowed(principal, body.model, models);
      const pathModel = req.method === 'GET' ? MODEL_PATH.exec(req.path)?.[1] : undefined;
      if (pathModel) assertModelAllowed(principal, decoded(pathModel), models);
    }
    next();
  };
}
