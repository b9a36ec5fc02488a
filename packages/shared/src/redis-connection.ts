import type { Config } from './config.js';
import type { Logger } from './logger.js';

/*
 * Spool opens two kinds of Redis connection (ioredis options as plain objects: shared does not
 * depend on ioredis).
 * - Request path (the API's commands and job-channel subscriber): a command fails at once while
 *   Redis is unreachable and after REDIS_COMMAND_TIMEOUT_MS when Redis does not answer, so a request
 *   ends with 503 instead of waiting out the outage.
 * - Waiting (BullMQ workers and QueueEvents, blocking reads, a worker's publishing): commands wait
 *   for Redis to return, as BullMQ's blocking calls need; nothing a client waits on runs on these.
 * Both reconnect forever, at most RECONNECT_MAX_MS apart, so everything recovers soon after Redis
 * returns without a restart (ioredis re-subscribes subscribers' channels itself).
 */

/** ioredis' default backoff grows to 5 s: a Redis back after an outage would go unnoticed that long. */
const RECONNECT_MAX_MS = 1000;

/** Delay before reconnect attempt `attempt` (1, 2, …): 100 ms doubling, capped at RECONNECT_MAX_MS. */
export const reconnectDelay = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 10), RECONNECT_MAX_MS);

/** Options of a request-path connection: bounded commands, no offline queue. */
export function requestRedisOptions(config: Pick<Config, 'REDIS_COMMAND_TIMEOUT_MS'>) {
  return {
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    // A command already sent when the connection drops is retried once after reconnecting, then fails.
    maxRetriesPerRequest: 1,
    retryStrategy: reconnectDelay,
  };
}

/** Options of a waiting connection (`redis.duplicate(WAITING_REDIS_OPTIONS)` undoes the request path's). */
export const WAITING_REDIS_OPTIONS = {
  commandTimeout: undefined,
  enableOfflineQueue: true,
  maxRetriesPerRequest: null,
  retryStrategy: reconnectDelay,
};

/** ioredis' and BullMQ's ways of saying Redis could not be reached or did not answer in time. */
const UNAVAILABLE_MESSAGES = [
  /^Stream isn't writeable/,
  /^Command timed out/,
  /^Connection is closed/,
  /max retries per request/i,
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH/,
];
const UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'ConnectionClosedError']);

/** Whether an error means Redis is away (not that a command was wrong): the request gets 503. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE_NAMES.has(error.name)) return true;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH)$/.test(code)) return true;
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(error.message));
}

/** What `logRedisConnection` listens to: an ioredis client. */
export interface ConnectionEvents {
  on(event: 'error' | 'ready' | 'reconnecting', listener: (error?: unknown) => void): unknown;
}

/**
 * Logs a connection's outages as JSON lines: one warning when it is lost, one line when it is back,
 * the retries in between at debug. Also keeps ioredis from printing a plain-text
 * "[ioredis] Unhandled error event" to stderr, which it does for a client without an 'error' listener.
 */
export function logRedisConnection(connection: ConnectionEvents, logger: Logger, name: string): void {
  let down = false;
  let since = 0;
  const lost = (error: unknown) => {
    if (down) {
      if (error) logger.debug({ err: error, redis: name }, 'redis still unreachable');
      return;
    }
    down = true;
    since = Date.now();
    logger.warn({ err: error, redis: name }, 'redis connection lost; requests that need it get 503 until it returns');
  };
  connection.on('error', (error) => lost(error));
  // ioredis emits 'reconnecting' only after a close it did not ask for; a short outage whose first
  // retry already finds Redis back emits no 'error' at all, and would otherwise go unlogged.
  connection.on('reconnecting', () => lost(undefined));
  connection.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: name, downMs: Date.now() - since }, 'redis connection restored');
  });
}
