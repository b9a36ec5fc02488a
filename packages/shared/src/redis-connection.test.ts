import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { isRedisUnavailable, logRedisConnection, reconnectDelay } from './redis-connection.js';

describe('redis connection', () => {
  it('tells an unreachable or silent Redis from a command Redis refused', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const maxRetries = Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' });
    for (const error of [
      refused,
      maxRetries,
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error('Command timed out'),
      new Error('Connection is closed.'),
    ]) {
      expect(isRedisUnavailable(error)).toBe(true);
    }
    expect(isRedisUnavailable(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisUnavailable('ECONNREFUSED')).toBe(false);
  });

  it('reconnects soon after Redis returns: delays grow from 100 ms and stop at 1 s', () => {
    expect([1, 2, 3, 4, 5, 50].map(reconnectDelay)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('logs an outage as JSON lines: one warning when lost, retries at debug, one line when restored', () => {
    const lines: string[] = [];
    const logger = createLogger({ name: 'test', level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    const connection = new EventEmitter();
    logRedisConnection(connection, logger, 'api');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    for (let attempt = 0; attempt < 5; attempt += 1) connection.emit('error', refused);
    connection.emit('ready');
    connection.emit('ready');
    const entries = lines.map((line) => JSON.parse(line) as { level: number; msg: string; redis: string; err?: { code: string } });
    expect(entries.map((entry) => [entry.level, entry.msg.split(';')[0]])).toEqual([
      [40, 'redis connection lost'],
      ...Array.from({ length: 4 }, () => [20, 'redis still unreachable']),
      [30, 'redis connection restored'],
    ]);
    expect(entries[0]).toMatchObject({ redis: 'api', err: { code: 'ECONNREFUSED' } });
  });

  it('logs a short outage that ioredis reconnects from without an error event', () => {
    const lines: string[] = [];
    const logger = createLogger({ name: 'test', level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    const connection = new EventEmitter();
    logRedisConnection(connection, logger, 'api');
    connection.emit('reconnecting', 100);
    connection.emit('ready');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg.split(';')[0])).toEqual(['redis connection lost', 'redis connection restored']);
  });
});
