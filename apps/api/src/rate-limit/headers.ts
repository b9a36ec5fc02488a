import type { Response } from 'express';

/** OpenAI writes reset times as durations: `20ms`, `1s`, `6m0s`. */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

/** Sets OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` trio for one budget. */
export function setRateLimitHeaders(res: Response, kind: 'requests' | 'tokens', limit: number, used: number, resetMs: number): void {
  if (res.headersSent) return;
  res.setHeader(`x-ratelimit-limit-${kind}`, String(limit));
  res.setHeader(`x-ratelimit-remaining-${kind}`, String(Math.max(0, limit - used)));
  res.setHeader(`x-ratelimit-reset-${kind}`, formatReset(resetMs));
}

/** Whole seconds to wait, at least 1, for `Retry-After`. */
export const retryAfterSeconds = (resetMs: number) => Math.max(1, Math.ceil(resetMs / 1000));
