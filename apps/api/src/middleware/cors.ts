import type { NextFunction, Request, Response } from 'express';
import corsMiddleware from 'cors';

/** The `CORS_ORIGINS` list: comma-separated origins, empty for none. */
export const parseOrigins = (value: string) =>
  value
    .split(',')
    .map((origin) => origin.trim().replace(/\/$/, ''))
    .filter(Boolean);

const EXPOSED = [
  'x-request-id',
  'retry-after',
  ...['requests', 'tokens'].flatMap((kind) => ['limit', 'remaining', 'reset'].map((field) => `x-ratelimit-${field}-${kind}`)),
];

/**
 * CORS for the listed origins only, with credentials; other origins get no CORS headers at all (the
 * browser then refuses them). Every preflight is answered here, before auth, because browsers send
 * it without the Authorization header.
 */
export function cors(originsSetting: string) {
  const allowed = new Set(parseOrigins(originsSetting));
  const listed = corsMiddleware({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    exposedHeaders: EXPOSED,
    maxAge: 600,
  });
  return function handleCors(req: Request, res: Response, next: NextFunction): void {
    res.vary('Origin');
    // Without an Origin header this is not a CORS request (servers, CLIs, same-origin GETs): the
    // cors library would only work out that it has nothing to add.
    if (req.headers.origin === undefined) return next();
    listed(req, res, () => {
      if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
        res.status(204).end();
        return;
      }
      next();
    });
  };
}
