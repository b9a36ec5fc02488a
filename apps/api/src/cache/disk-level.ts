import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

const TOUCH_GRANULARITY_MS = 1000;

export interface DiskLevel {
  get(key: string): Buffer | undefined;
  set(key: string, model: string, bytes: Buffer): void;
  delete(key: string): void;
  deleteModel(model: string): number;
  /** Drops expired entries and models no longer served, then evicts down to the byte bound. */
  sweep(liveModels?: string[]): { expired: number; removedModels: number; evicted: number };
  readonly bytes: number;
  readonly count: number;
  /** Entries evicted for the byte bound so far. */
  readonly evictions: number;
  close(): void;
}

export interface DiskLevelOptions {
  path: string;
  maxBytes: number;
  ttlMs: number;
  now?: () => number;
}

/**
 * L3: one SQLite file (better-sqlite3), bounded by bytes with least-recently-used eviction. SQLite
 * gives what the bound needs and a keyv disk store lacks: an index on last access to evict by, and a
 * crash-safe file without a server. Calls are synchronous and take microseconds (WAL mode).
 */
export function createDiskLevel(options: DiskLevelOptions): DiskLevel {
  const now = options.now ?? Date.now;
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 1000');
  db.exec(`CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY, model TEXT NOT NULL, value BLOB NOT NULL, size INTEGER NOT NULL,
    expires_at INTEGER NOT NULL, accessed_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS entries_accessed ON entries (accessed_at);
    CREATE INDEX IF NOT EXISTS entries_expires ON entries (expires_at);
    CREATE INDEX IF NOT EXISTS entries_model ON entries (model);`);
  const statements = {
    get: db.prepare<[string], { value: Buffer; expires_at: number; accessed_at: number }>('SELECT value, expires_at, accessed_at FROM entries WHERE key = ?'),
    touch: db.prepare('UPDATE entries SET accessed_at = ? WHERE key = ?'),
    size: db.prepare<[string], { size: number }>('SELECT size FROM entries WHERE key = ?'),
    set: db.prepare('INSERT OR REPLACE INTO entries (key, model, value, size, expires_at, accessed_at) VALUES (?, ?, ?, ?, ?, ?)'),
    delete: db.prepare('DELETE FROM entries WHERE key = ?'),
    deleteModel: db.prepare('DELETE FROM entries WHERE model = ?'),
    deleteExpired: db.prepare('DELETE FROM entries WHERE expires_at <= ?'),
    models: db.prepare<[], { model: string }>('SELECT DISTINCT model FROM entries'),
    oldest: db.prepare<[], { key: string; size: number }>('SELECT key, size FROM entries ORDER BY accessed_at ASC LIMIT 64'),
    totals: db.prepare<[], { bytes: number | null; count: number }>('SELECT SUM(size) AS bytes, COUNT(*) AS count FROM entries'),
  };
  let totalBytes = 0;
  let count = 0;
  let evictions = 0;
  const recount = () => {
    const totals = statements.totals.get()!;
    totalBytes = totals.bytes ?? 0;
    count = totals.count;
  };
  recount();

  const evictToBound = db.transaction(() => {
    let evicted = 0;
    while (totalBytes > options.maxBytes) {
      const victims = statements.oldest.all();
      if (victims.length === 0) break;
      for (const victim of victims) {
        if (totalBytes <= options.maxBytes) break;
        statements.delete.run(victim.key);
        totalBytes -= victim.size;
        count -= 1;
        evicted += 1;
      }
    }
    evictions += evicted;
    return evicted;
  });

  function remove(key: string): void {
    const row = statements.size.get(key);
    if (!row) return;
    statements.delete.run(key);
    totalBytes -= row.size;
    count -= 1;
  }

  return {
    get(key) {
      const row = statements.get.get(key);
      if (!row) return undefined;
      if (row.expires_at <= now()) {
        remove(key);
        return undefined;
      }
      // Last use to the second is enough for LRU, and spares a write on most reads of a hot entry.
      if (now() - row.accessed_at >= TOUCH_GRANULARITY_MS) statements.touch.run(now(), key);
      return row.value;
    },
    set(key, model, bytes) {
      if (bytes.length > options.maxBytes) return;
      db.transaction(() => {
        remove(key);
        const at = now();
        statements.set.run(key, model, bytes, bytes.length, at + options.ttlMs, at);
        totalBytes += bytes.length;
        count += 1;
      })();
      evictToBound();
    },
    delete: remove,
    deleteModel(model) {
      const removed = statements.deleteModel.run(model).changes;
      recount();
      return removed;
    },
    sweep(liveModels) {
      const expired = statements.deleteExpired.run(now()).changes;
      let removedModels = 0;
      if (liveModels) {
        for (const { model } of statements.models.all()) {
          if (!liveModels.includes(model)) removedModels += statements.deleteModel.run(model).changes;
        }
      }
      // Other processes may share the file: take the true totals before evicting.
      recount();
      return { expired, removedModels, evicted: evictToBound() };
    },
    get bytes() {
      return totalBytes;
    },
    get count() {
      return count;
    },
    get evictions() {
      return evictions;
    },
    close: () => db.close(),
  };
}
