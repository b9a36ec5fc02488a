import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { asyncJobKeys, eventLogSequence, redisNames, type JobEvent } from '@spool/shared';
import { createEventPublisher } from './event-publisher.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `spooltest-fence-${randomUUID().slice(0, 8)}`;
const names = redisNames(prefix);
const keys = asyncJobKeys(prefix);
afterAll(async () => {
  const found = await redis.keys(`${prefix}:*`);
  if (found.length > 0) await redis.del(...found);
  redis.disconnect();
});

const log = async (jobId: string) =>
  ((await redis.xrange(keys.eventLog(jobId), '-', '+')) as [string, string[]][]).map(([id, fields]) => ({
    sequence: eventLogSequence(id),
    event: JSON.parse(fields[1]!) as JobEvent,
  }));

describe('fenced event publishing (real Redis)', () => {
  it("writes while the lock holds this attempt's token, and refuses (calling onStale once) after another attempt took it", async () => {
    const jobId = randomUUID();
    const lockKey = `${prefix}:gen:m:${jobId}:lock`;
    const stale: string[] = [];
    const publisher = createEventPublisher(redis, names, { coalesceMs: 0, log: { retentionS: 60, maxEvents: 100 }, onStale: (id) => stale.push(id) });
    const listener = redis.duplicate();
    const heard: JobEvent[] = [];
    await listener.subscribe(names.jobChannel(jobId));
    listener.on('message', (_channel, message) => heard.push(...(JSON.parse(message) as JobEvent[])));

    await redis.set(lockKey, 'token-1', 'PX', 60_000);
    publisher.fence(jobId, lockKey, 'token-1');
    await publisher.openLog(jobId);
    publisher.publish(jobId, 1, { type: 'start', workerId: 'a' });
    publisher.publish(jobId, 1, { type: 'text-delta', choice: 0, text: 'Once' });
    await publisher.flush();
    expect((await log(jobId)).map((entry) => entry.event.type)).toEqual(['start', 'text-delta']);

    // Stalled-job recovery gave the job to another worker: the lock now holds its token.
    await redis.set(lockKey, 'token-2', 'PX', 60_000);
    publisher.publish(jobId, 1, { type: 'text-delta', choice: 0, text: ' upon' });
    await publisher.flush();
    publisher.publish(jobId, 1, { type: 'done', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
    await publisher.flush();
    expect(stale).toEqual([jobId]);
    expect((await log(jobId)).map((entry) => entry.event.type)).toEqual(['start', 'text-delta']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard.map((event) => event.type)).toEqual(['start', 'text-delta']);

    // An expired lock (nobody holds the job) refuses too.
    const other = randomUUID();
    publisher.fence(other, `${prefix}:gen:m:${other}:lock`, 'token-1');
    publisher.publish(other, 1, { type: 'start', workerId: 'a' });
    await publisher.flush();
    expect(stale).toEqual([jobId, other]);
    listener.disconnect();
  });

  it('keeps the fence of events queued before their job was forgotten (a lost attempt ending between two flushes)', async () => {
    const jobId = randomUUID();
    const publisher = createEventPublisher(redis, names, { coalesceMs: 50 });
    const listener = redis.duplicate();
    const heard: JobEvent[] = [];
    await listener.subscribe(names.jobChannel(jobId));
    listener.on('message', (_channel, message) => heard.push(...(JSON.parse(message) as JobEvent[])));
    // Nobody holds the lock (it expired): these events must not go out, even after `forget`.
    publisher.fence(jobId, `${prefix}:gen:m:${jobId}:lock`, 'token-1');
    publisher.publish(jobId, 1, { type: 'text-delta', choice: 0, text: ',' });
    publisher.forget(jobId);
    await publisher.flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard).toEqual([]);
    listener.disconnect();
  });
});
