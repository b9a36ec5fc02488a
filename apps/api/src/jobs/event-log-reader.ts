import type { Redis } from 'ioredis';
import { eventLogEntryId } from '@spool/shared';
import { parseEntries, type LogEntries, type LoggedEvent } from './event-log.js';

/**
 * Follows job event logs for every stream of this API process on one Redis connection: one
 * blocking XREAD loop over all the logs someone waits on, instead of one connection per stream.
 */
export interface EventLogReader {
  /**
   * Resolves with the entries logged in `key` after sequence number `after` (-1: from the start)
   * as soon as there are any, or with [] after `waitMs` or once `signal` aborts. The log need not
   * exist yet.
   */
  wait(key: string, after: number, waitMs: number, signal?: AbortSignal): Promise<LoggedEvent[]>;
  /** Ends the loop and its connection; pending waits resolve with []. */
  close(): void;
}

export interface EventLogReaderOptions {
  /** Name of the reader's connection in CLIENT LIST. */
  connectionName: string;
  /** Longest single XREAD; waits added meanwhile interrupt it (CLIENT UNBLOCK) when they need to. */
  blockMs?: number;
  /** Entries one wait returns at most, so a long log is sent a page at a time. */
  pageSize?: number;
}

interface Waiter {
  key: string;
  after: number;
  settle(entries: LoggedEvent[]): void;
}

export function createEventLogReader(redis: Redis, options: EventLogReaderOptions): EventLogReader {
  const blockMs = options.blockMs ?? 5000;
  const pageSize = options.pageSize ?? 500;
  // Request-path timeouts of the parent connection must not cut a blocking read short; ioredis's
  // blockingTimeout still ends a read whose connection died silently. The offline queue is back on:
  // without it (the parent's fail-fast setting) the lazily connected reader's first read fails.
  const connection = redis.duplicate({
    connectionName: options.connectionName,
    commandTimeout: undefined,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    enableAutoPipelining: false,
    blockingTimeout: blockMs,
    lazyConnect: true,
  });
  const waiters = new Map<string, Set<Waiter>>();
  /** The position each log is read from by the XREAD in flight; empty when none is. */
  let reading = new Map<string, number>();
  let looping = false;
  let closed = false;
  let clientId: number | undefined;
  let unblockQueued = false;
  connection.on('close', () => (clientId = undefined));
  connection.on('error', () => undefined);

  function remove(waiter: Waiter): void {
    const set = waiters.get(waiter.key);
    set?.delete(waiter);
    if (set?.size === 0) waiters.delete(waiter.key);
  }

  function deliver(key: string, entries: LoggedEvent[]): void {
    for (const waiter of waiters.get(key) ?? []) {
      const fresh = entries.filter((entry) => entry.sequence > waiter.after);
      if (fresh.length > 0) waiter.settle(fresh);
    }
  }

  /** The XREAD in flight misses a new wait: end it now (once per tick) so the next one covers it. */
  function interruptFor(key: string, after: number): void {
    const position = reading.get(key);
    if (position !== undefined && position <= after) return;
    if (unblockQueued || clientId === undefined) return;
    unblockQueued = true;
    setImmediate(() => {
      unblockQueued = false;
      if (clientId !== undefined && reading.size > 0) redis.client('UNBLOCK', clientId).catch(() => undefined);
    });
  }

  async function loop(): Promise<void> {
    looping = true;
    try {
      while (waiters.size > 0 && !closed) {
        try {
          clientId ??= Number(await connection.client('ID'));
          // Worked out in the same tick as the XREAD is sent, so a wait added later can tell
          // whether this read covers it.
          const positions = new Map([...waiters].map(([key, set]) => [key, Math.min(...[...set].map((waiter) => waiter.after))]));
          if (positions.size === 0) break;
          reading = positions;
          const ids = [...positions.values()].map((after) => (after < 0 ? '0-0' : eventLogEntryId(after)));
          const reply = (await connection.xread('COUNT', pageSize, 'BLOCK', blockMs, 'STREAMS', ...positions.keys(), ...ids)) as [string, LogEntries][] | null;
          reading = new Map();
          for (const [key, entries] of reply ?? []) deliver(key, parseEntries(entries));
        } catch {
          // Redis is away: each wait still ends on its own timer; try again shortly.
          reading = new Map();
          if (!closed) await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    } finally {
      looping = false;
    }
  }

  return {
    wait(key, after, waitMs, signal) {
      if (closed || signal?.aborted) return Promise.resolve([]);
      return new Promise((resolve) => {
        const timer = setTimeout(() => waiter.settle([]), waitMs);
        const onAbort = () => waiter.settle([]);
        const waiter: Waiter = {
          key,
          after,
          settle(entries) {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            remove(waiter);
            resolve(entries);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        let set = waiters.get(key);
        if (!set) waiters.set(key, (set = new Set()));
        set.add(waiter);
        if (looping) interruptFor(key, after);
        else void loop();
      });
    },
    close() {
      closed = true;
      for (const set of [...waiters.values()]) for (const waiter of [...set]) waiter.settle([]);
      connection.disconnect();
    },
  };
}
