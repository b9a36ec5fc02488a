import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLeasedCounter, type LeaseSettings } from './leased-counter.js';
import { createWindowCounter, type WindowCounter } from './window-counter.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `spooltest-lease-${randomUUID()}:`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** The Redis counter, with a tally of the calls that reach Redis. */
function countedRedisCounter(): WindowCounter & { calls: number } {
  const inner = createWindowCounter(redis, prefix);
  const counted = {
    calls: 0,
    take: (...args: Parameters<WindowCounter['take']>) => ((counted.calls += 1), inner.take(...args)),
    adjust: (...args: Parameters<WindowCounter['adjust']>) => ((counted.calls += 1), inner.adjust(...args)),
  };
  return counted;
}
const inRedis = async (key: string) => Number((await redis.get(prefix + key)) ?? 0);
const settings: LeaseSettings = { share: 64, leaseMs: 1_000, maxKeys: 100 };

describe('leased window counter', () => {
  it('spends a large budget locally: 200 requests, a handful of Redis calls, exact headers', async () => {
    const redisSide = countedRedisCounter();
    const counter = createLeasedCounter(redisSide, settings);
    const key = randomUUID();
    for (let index = 1; index <= 200; index += 1) {
      const state = await counter.take(key, 1, 100_000);
      expect(state).toMatchObject({ allowed: true, used: index });
    }
    expect(redisSide.calls).toBeLessThanOrEqual(2);
    // Redis holds the lease, never more than the limit: 1 + floor((100000 - 1 - 1) / 64).
    expect(await inRedis(key)).toBe(1 + Math.floor(99_998 / 64));
  });

  it('concurrent requests wait for one refill instead of each calling Redis', async () => {
    const redisSide = countedRedisCounter();
    const counter = createLeasedCounter(redisSide, settings);
    const key = randomUUID();
    const states = await Promise.all(Array.from({ length: 50 }, () => counter.take(key, 1, 100_000)));
    expect(states.every((state) => state.allowed)).toBe(true);
    expect(redisSide.calls).toBe(1);
  });

  it('never lets two replicas together pass the limit, and strands at most a small share of it', async () => {
    const key = randomUUID();
    const replicas = [createLeasedCounter(createWindowCounter(redis, prefix), settings), createLeasedCounter(createWindowCounter(redis, prefix), settings)];
    let allowed = 0;
    for (let index = 0; index < 2_400; index += 1) if ((await replicas[index % 2]!.take(key, 1, 2_000)).allowed) allowed += 1;
    expect(allowed).toBeLessThanOrEqual(2_000);
    expect(allowed).toBeGreaterThanOrEqual(2_000 - 2 * Math.ceil(2_000 / 64));
    expect(await inRedis(key)).toBeLessThanOrEqual(2_000);
  });

  it('counts a small budget exactly, request by request, across replicas', async () => {
    const key = randomUUID();
    const replicas = [createLeasedCounter(createWindowCounter(redis, prefix), settings), createLeasedCounter(createWindowCounter(redis, prefix), settings)];
    const answers = [];
    for (let index = 0; index < 61; index += 1) answers.push((await replicas[index % 2]!.take(key, 1, 60)).allowed);
    expect(answers.filter(Boolean)).toHaveLength(60);
    expect(answers.at(-1)).toBe(false);
  });

  it('takes refunds into its lease and returns what is unspent at the next refill', async () => {
    const redisSide = countedRedisCounter();
    const counter = createLeasedCounter(redisSide, { ...settings, leaseMs: 50 });
    const key = randomUUID();
    expect(await counter.take(key, 500, 100_000)).toMatchObject({ allowed: true, used: 500 });
    await counter.adjust(key, -380);
    expect(await counter.take(key, 0, 100_000)).toMatchObject({ used: 120 });
    const callsBefore = redisSide.calls;
    await new Promise((resolve) => setTimeout(resolve, 80));
    // The lease has expired: this read returns its unspent part, so Redis holds the real usage.
    expect(await counter.take(key, 0, 100_000)).toMatchObject({ used: 120 });
    expect(redisSide.calls).toBe(callsBefore + 1);
    expect(await inRedis(key)).toBe(120);
  });

  it('refuses a cost that does not fit and adds nothing for it', async () => {
    const counter = createLeasedCounter(createWindowCounter(redis, prefix), settings);
    const key = randomUUID();
    expect(await counter.take(key, 250, 300)).toMatchObject({ allowed: true, used: 250 });
    expect(await counter.take(key, 100, 300)).toMatchObject({ allowed: false, used: 250 });
    expect(await inRedis(key)).toBe(250);
  });
});
