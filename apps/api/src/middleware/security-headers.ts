import helmet from 'helmet';

/**
 * Safe default headers from helmet (nosniff, frame denial, a strict CSP, no referrer, …). The CSP
 * allows same-origin scripts and styles so server-rendered admin pages still work.
 */
export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: { useDefaults: true, directives: { 'default-src': ["'self'"], 'frame-ancestors': ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
}
