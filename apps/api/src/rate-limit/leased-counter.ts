import { LRUCache } from 'lru-cache';
import type { WindowCounter, WindowTake } from './window-counter.js';

/** How a replica leases budget: a share of what remains, kept for a short time. */
export interface LeaseSettings {
  /** A refill takes 1/share of the budget left after its own cost (only when that covers one more such cost). */
  share: number;
  /** A lease is spent locally for at most this long; then the next request returns what is left and refills. */
  leaseMs: number;
  /** Keys (clients, tokens) with a lease kept at once. */
  maxKeys: number;
}

export const DEFAULT_LEASE: LeaseSettings = { share: 64, leaseMs: 1_000, maxKeys: 10_000 };

// A lease is not returned this close to its window's end: Redis may already have started the next window.
const WINDOW_END_MARGIN_MS = 100;

interface Lease {
  /** Added to the Redis window for this lease (the refill's own cost included). */
  granted: number;
  /** Spent locally out of `granted`; refunds make it smaller. */
  spent: number;
  /** The window's total in Redis right after the refill, this lease included. */
  usedAtGrant: number;
  windowEndsAt: number;
  expiresAt: number;
}

/**
 * A window counter that goes to Redis once per lease instead of once per request. A refill takes
 * the request's cost plus 1/`share` of the budget that remains; later requests spend that locally
 * until it runs out or `leaseMs` passes, and the next refill returns what is left. The Redis total
 * never passes the limit, so across replicas a budget is never overspent; near the limit leases
 * shrink to nothing, so a small budget (under `share` times a request's cost left) is counted
 * exactly, request by request. What a lease costs: a replica can refuse while another still holds
 * unspent lease (at most 1/`share` of what was left, and only until that replica's next refill or
 * the window's end), and `used` in the headers does not see other replicas' requests until the
 * next refill, at most `leaseMs` later. Reads (cost 0) are answered from a live lease too.
 */
export interface LeasedCounter extends WindowCounter {
  /** The take, answered from a live lease without waiting; undefined when it needs Redis (call `take`). */
  takeNow(key: string, cost: number): WindowTake | undefined;
}

export function createLeasedCounter(counter: WindowCounter, settings: LeaseSettings = DEFAULT_LEASE): LeasedCounter {
  const leases = new LRUCache<string, Lease>({ max: settings.maxKeys });
  const refills = new Map<string, Promise<unknown>>();
  const live = (lease: Lease | undefined, now: number): lease is Lease => lease !== undefined && now < lease.expiresAt && now < lease.windowEndsAt;
  const stateOf = (lease: Lease, now: number): WindowTake => ({
    allowed: true,
    used: lease.usedAtGrant - (lease.granted - lease.spent),
    resetMs: lease.windowEndsAt - now,
    granted: 0,
  });

  async function refill(key: string, cost: number, limit: number): Promise<WindowTake> {
    const now = Date.now();
    const previous = leases.get(key);
    const giveBack = previous && now < previous.windowEndsAt - WINDOW_END_MARGIN_MS ? previous.granted - previous.spent : 0;
    leases.delete(key);
    const answer = await counter.take(key, cost, limit, { share: settings.share, giveBack });
    const at = Date.now();
    if (answer.allowed) {
      leases.set(key, {
        granted: answer.granted,
        spent: Math.min(cost, answer.granted),
        usedAtGrant: answer.used,
        windowEndsAt: at + answer.resetMs,
        expiresAt: at + settings.leaseMs,
      });
      return { ...stateOf(leases.get(key)!, at), granted: answer.granted };
    }
    return answer;
  }

  function takeNow(key: string, cost: number): WindowTake | undefined {
    const now = Date.now();
    const lease = leases.get(key);
    if (!live(lease, now) || lease.granted - lease.spent < cost) return undefined;
    lease.spent += cost;
    return stateOf(lease, now);
  }

  return {
    takeNow,
    async take(key, cost, limit) {
      for (;;) {
        const local = takeNow(key, cost);
        if (local) return local;
        // One refill per key at a time: the others wait for it and then spend from its lease.
        const pending = refills.get(key);
        if (!pending) break;
        await pending;
      }
      const refilling = refill(key, cost, limit);
      const settled = refilling.then(
        () => undefined,
        () => undefined,
      );
      refills.set(key, settled);
      try {
        return await refilling;
      } finally {
        if (refills.get(key) === settled) refills.delete(key);
      }
    },
    async adjust(key, delta) {
      const lease = leases.get(key);
      if (live(lease, Date.now()) && (delta <= 0 || lease.granted - lease.spent >= delta)) {
        lease.spent += delta;
        return;
      }
      await counter.adjust(key, delta);
    },
  };
}
