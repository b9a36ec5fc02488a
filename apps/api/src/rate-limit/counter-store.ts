import type { Store } from 'express-rate-limit';
import type { WindowCounter } from './window-counter.js';

/**
 * An express-rate-limit store over a (leased) window counter, so the per-IP limit shares the one
 * counting mechanism with the per-token budgets and costs no Redis call while its lease lasts.
 * `limit` is the limiter's own: the store needs it to size leases and to refuse at the limit.
 */
export function counterStore(counter: WindowCounter, limit: number, prefix: string): Store {
  return {
    prefix,
    localKeys: false,
    async increment(key) {
      const state = await counter.take(key, 1, limit);
      // A refused take added nothing; report one past the limit so the limiter refuses too.
      return { totalHits: state.allowed ? state.used : Math.max(state.used + 1, limit + 1), resetTime: new Date(Date.now() + state.resetMs) };
    },
    decrement: (key) => counter.adjust(key, -1),
    resetKey: (key) => counter.adjust(key, -Number.MAX_SAFE_INTEGER),
  };
}
