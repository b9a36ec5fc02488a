import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

type Header = [name: string, value: string];

/** Headers helmet sets with our options, recorded once: they depend on the options alone (no nonces). */
function helmetHeaders(): Header[] {
  const set: Header[] = [];
  const recorder = { setHeader: (name: string, value: unknown) => void set.push([name, String(value)]), removeHeader: () => undefined };
  helmet({
    contentSecurityPolicy: { useDefaults: true, directives: { 'default-src': ["'self'"], 'frame-ancestors': ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
  })({} as never, recorder as never, () => undefined);
  return set;
}

/**
 * What OWASP's REST Security Cheat Sheet asks of JSON API responses: no framing, no MIME sniffing,
 * HTTPS only, no referrer. The rest of helmet's set (script and style policy, cross-origin isolation,
 * download and DNS-prefetch switches) governs documents a browser renders, so only pages get it.
 */
const API_HEADERS = new Set(['content-security-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy']);
const FRAME_ANCESTORS_ONLY: Header = ['Content-Security-Policy', "frame-ancestors 'none'"];

/** Paths that serve HTML (Swagger UI, the dashboard, the queue board) and their assets. */
const PAGE_PATH = /^\/(docs|dashboard|admin)(\/|$)/i;

/**
 * Safe default headers from helmet. Pages (`/docs`, `/dashboard`, `/admin`) get helmet's whole set,
 * with a CSP allowing same-origin scripts and styles; API responses get the subset that matters to
 * a JSON answer. Worked out once at start-up: each response gets its list in one loop.
 */
export function securityHeaders() {
  const page = helmetHeaders();
  const api = page
    .map((header): Header => (header[0].toLowerCase() === 'content-security-policy' ? FRAME_ANCESTORS_ONLY : header))
    .filter(([name]) => API_HEADERS.has(name.toLowerCase()));
  return function setSecurityHeaders(req: Request, res: Response, next: NextFunction): void {
    for (const [name, value] of PAGE_PATH.test(req.path) ? page : api) res.setHeader(name, value);
    next();
  };
}
