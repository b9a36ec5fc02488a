import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisNames, type AsyncJobObject } from '@spool/shared';
import { countClients } from './helpers/redis-clients.js';
import { MODEL, REDIS_URL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

const STREAMS = 200;

/** Opens a job's event stream and reads it to the end: the text of every data line. */
async function openEvents(url: string, jobId: string): Promise<{ opened: Promise<void>; body: Promise<string> }> {
  const response = fetch(`${url}/v1/jobs/${jobId}/events`);
  return {
    opened: response.then((answer) => expect(answer.status).toBe(200)),
    body: response.then((answer) => answer.text()),
  };
}

describe('job event streams share one Redis reader', () => {
  let spool: Spool;
  let worker: InProcessWorker;
  let connection: Redis;
  let queue: Queue;

  beforeAll(async () => {
    spool = await startSpool();
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(redisNames(spool.config.REDIS_PREFIX).queue(MODEL), { connection, prefix: spool.config.REDIS_PREFIX });
  });
  afterAll(async () => {
    await queue?.close();
    connection?.disconnect();
    await worker?.close();
    await spool?.close();
  });

  it(`holds ${STREAMS} idle event streams on at most a few Redis connections, and each still gets its events`, async () => {
    // The queue is paused: every job waits and its stream stays open and idle.
    await queue.pause();
    const jobs = await Promise.all(
      Array.from({ length: STREAMS }, async (_, index) => {
        const response = await fetch(`${spool.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', prefer: 'respond-async' },
          body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: `Story ${index}` }], max_tokens: 4 }),
        });
        expect(response.status).toBe(202);
        return (await response.json()) as AsyncJobObject;
      }),
    );
    const namePrefix = `${spool.config.REDIS_PREFIX}-`;
    const before = await countClients(REDIS_URL, namePrefix);

    const streams = await Promise.all(jobs.map((job) => openEvents(spool.url, job.id)));
    await Promise.all(streams.map((stream) => stream.opened));
    // Each stream has begun waiting on its log (its first wait starts right after the headers).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const during = await countClients(REDIS_URL, namePrefix);
    console.log(`Redis connections named ${namePrefix}*: ${before} before, ${during} with ${STREAMS} idle event streams`);
    expect(during - before).toBeLessThanOrEqual(2);

    await queue.resume();
    const bodies = await Promise.all(streams.map((stream) => stream.body));
    for (const body of bodies) {
      expect(body).toMatch(/"role":"assistant"/);
      expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    }
  }, 120_000);
});
