import { LRUCache } from 'lru-cache';
import type { CachedResult } from './cached-result.js';

export interface MemoryLevel {
  get(key: string): CachedResult | undefined;
  set(key: string, result: CachedResult, bytes: number): void;
  delete(key: string): void;
  /** Drops every entry whose key starts with `prefix`. */
  deletePrefix(prefix: string): number;
  readonly size: number;
  readonly bytes: number;
}

/**
 * L1: this process's LRU, bounded by bytes. It keeps the decoded result (sized by its JSON), so a hit
 * costs a map lookup and no decompression.
 */
export function createMemoryLevel(options: { maxBytes: number; ttlMs: number }): MemoryLevel {
  const lru = new LRUCache<string, CachedResult>({
    maxSize: Math.max(1, options.maxBytes),
    // An entry larger than the whole level is not kept (lru-cache would refuse it anyway).
    maxEntrySize: Math.max(1, options.maxBytes),
    sizeCalculation: () => 1,
    ttl: options.ttlMs,
    ttlAutopurge: false,
  });
  return {
    get: (key) => lru.get(key),
    set(key, result, bytes) {
      if (options.maxBytes === 0) return;
      lru.set(key, result, { size: Math.max(1, bytes + key.length) });
    },
    delete: (key) => void lru.delete(key),
    deletePrefix(prefix) {
      let removed = 0;
      for (const key of [...lru.keys()]) if (key.startsWith(prefix) && lru.delete(key)) removed += 1;
      return removed;
    },
    get size() {
      return lru.size;
    },
    get bytes() {
      return lru.calculatedSize;
    },
  };
}
