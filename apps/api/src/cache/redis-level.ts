import { createKeyv, createClient } from '@keyv/redis';
import type { Logger } from '@spool/shared';

export interface RedisLevel {
  /** The stored bytes, or undefined on a miss, a timeout or while Redis is away. */
  get(key: string): Promise<Buffer | undefined>;
  set(key: string, bytes: Buffer): Promise<void>;
  delete(key: string): Promise<void>;
  /** Unlinks every entry whose key starts with `prefix`. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Takes a short lock for a key (SET NX PX): true when taken, false when another replica holds it,
   * undefined when Redis cannot say (then the caller goes ahead alone).
   */
  tryLock(key: string, token: string, ttlMs: number): Promise<boolean | undefined>;
  unlock(key: string, token: string): Promise<void>;
  /** Failed or timed-out calls so far. */
  readonly errors: number;
  close(): Promise<void>;
}

export interface RedisLevelOptions {
  url: string;
  /** Key namespace: `<REDIS_PREFIX>:cache`. */
  namespace: string;
  ttlMs: number;
  timeoutMs: number;
  logger: Logger;
}

/** Deletes the lock only while it is still the caller's (it may have expired and been taken since). */
const UNLOCK_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/** After a failure, L2 is skipped this long so each request does not wait out a timeout. */
const BACKOFF_MS = 2000;

/**
 * L2: Redis through keyv, shared by every API replica. Nothing here throws: a Redis that is down,
 * slow or answering garbage makes L2 a miss, and L1 and L3 go on serving.
 */
export function createRedisLevel(options: RedisLevelOptions): RedisLevel {
  const client = createClient({
    url: options.url,
    // Fail at once while disconnected instead of queueing commands until Redis returns.
    disableOfflineQueue: true,
    socket: { connectTimeout: Math.max(options.timeoutMs, 500), reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
  });
  const keyv = createKeyv(client, { namespace: options.namespace, throwOnErrors: true, throwOnConnectError: true, connectionTimeout: options.timeoutMs });
  const separator = '::';
  const lockKey = (key: string) => `${options.namespace}:lock:${key}`;
  let errors = 0;
  let skipUntil = 0;
  let closed = false;
  // Unhandled 'error' events would crash the process; failures are counted where they surface.
  client.on('error', () => undefined);
  keyv.on('error', () => undefined);
  keyv.store.on?.('error', () => undefined);

  async function guarded<T>(what: string, call: () => Promise<T>, fallback: T, timeoutMs = options.timeoutMs): Promise<T> {
    if (closed || Date.now() < skipUntil) return fallback;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`L2 ${what} took longer than ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([call(), timeout]);
    } catch (error) {
      errors += 1;
      if (Date.now() >= skipUntil) options.logger.warn({ err: error, cacheLevel: 'l2' }, 'cache L2 unavailable; serving from L1 and L3');
      skipUntil = Date.now() + BACKOFF_MS;
      return fallback;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    get: (key) =>
      guarded(
        'get',
        async () => {
          const value = await keyv.get<string>(key);
          return typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
        },
        undefined,
      ),
    set: (key, bytes) => guarded('set', async () => void (await keyv.set(key, bytes.toString('base64'), options.ttlMs)), undefined),
    delete: (key) => guarded('delete', async () => void (await keyv.delete(key)), undefined),
    deletePrefix: (prefix) =>
      guarded(
        'delete',
        async () => {
          const redis = await keyv.store.getClient();
          let removed = 0;
          for await (const keys of redis.scanIterator({ MATCH: `${options.namespace}${separator}${prefix}*`, COUNT: 500 })) {
            if (keys.length > 0) removed += await redis.unlink(keys);
          }
          return removed;
        },
        0,
        30_000,
      ),
    tryLock: (key, token, ttlMs) =>
      guarded(
        'lock',
        async () => {
          const redis = await keyv.store.getClient();
          return (await redis.set(lockKey(key), token, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } })) === 'OK';
        },
        undefined,
      ),
    unlock: (key, token) =>
      guarded(
        'unlock',
        async () => {
          const redis = await keyv.store.getClient();
          await redis.eval(UNLOCK_SCRIPT, { keys: [lockKey(key)], arguments: [token] });
        },
        undefined,
      ),
    get errors() {
      return errors;
    },
    async close() {
      closed = true;
      await keyv.disconnect().catch(() => undefined);
      if (client.isOpen) client.destroy();
    },
  };
}
