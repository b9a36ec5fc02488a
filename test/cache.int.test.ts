import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCacheSpool, type CacheSpool } from './helpers/cache-harness.js';
import { MODEL, REDIS_URL } from './helpers/spool-harness.js';

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [{ role: 'user' as const, content }],
  max_tokens: 12,
  temperature: 0,
  ...extra,
});

describe('response cache through the API', () => {
  let env: CacheSpool;
  const chat = async (body: ReturnType<typeof ask>, headers: Record<string, string> = {}) => {
    const { data, response } = await env.spool.client.chat.completions.create(body, { headers }).withResponse();
    return { data, cache: response.headers.get('x-cache') };
  };
  const clearL1 = () => env.cache.levels.l1.deletePrefix('');
  const flushL2 = () => env.cache.levels.l2.deletePrefix('');

  beforeAll(async () => {
    env = await startCacheSpool();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('answers a repeat from L1, then L2 once L1 is cleared, then L3 once Redis is flushed, copying hits up', async () => {
    const body = ask('The cat sat');
    const first = await chat(body);
    expect(first.cache).toBe('miss');
    const generated = await env.generations();

    const fromL1 = await chat(body);
    expect(fromL1.cache).toBe('hit-l1');
    expect(fromL1.data.choices).toEqual(first.data.choices);
    expect(fromL1.data.usage).toEqual(first.data.usage);
    expect(fromL1.data.id).not.toBe(first.data.id);

    clearL1();
    expect((await chat(body)).cache).toBe('hit-l2');
    expect((await chat(body)).cache).toBe('hit-l1');

    clearL1();
    expect(await flushL2()).toBeGreaterThan(0);
    const fromL3 = await chat(body);
    expect(fromL3.cache).toBe('hit-l3');
    expect(fromL3.data.choices).toEqual(first.data.choices);
    expect((await chat(body)).cache).toBe('hit-l1');
    // Copied up to L2 in the background as well.
    await expect
      .poll(async () => {
        clearL1();
        return (await chat(body)).cache;
      })
      .toBe('hit-l2');

    expect(await env.generations()).toBe(generated);
    const stats = env.cache.stats();
    expect(stats.hitsL1).toBeGreaterThanOrEqual(3);
    expect(stats.hitsL2).toBeGreaterThanOrEqual(2);
    expect(stats.hitsL3).toBe(1);
  });

  it('keeps L2 entries with the configured TTL', async () => {
    await chat(ask('A TTL check'));
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${env.spool.config.REDIS_PREFIX}:cache::*`);
    const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
    redis.disconnect();
    expect(keys.length).toBeGreaterThan(0);
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(env.spool.config.CACHE_L2_TTL_S * 1000);
    }
  });

  it('answers a streamed hit with the same SSE content as the original stream', async () => {
    const body = { ...ask('Once upon a time', { seed: 11 }), stream: true as const, stream_options: { include_usage: true } };
    const read = async () => {
      const { data, response } = await env.spool.client.chat.completions.create(body).withResponse();
      let text = '';
      let finish: string | null = null;
      let usage: unknown;
      let role: string | undefined;
      for await (const chunk of data) {
        role ??= chunk.choices[0]?.delta.role;
        for (const choice of chunk.choices) {
          text += choice.delta.content ?? '';
          finish = choice.finish_reason ?? finish;
        }
        if (chunk.usage) usage = chunk.usage;
      }
      return { cache: response.headers.get('x-cache'), text, finish, usage, role };
    };
    const original = await read();
    const hit = await read();
    expect(original.cache).toBe('miss');
    expect(hit.cache).toBe('hit-l1');
    expect(original.text.length).toBeGreaterThan(0);
    expect(hit).toEqual({ ...original, cache: 'hit-l1' });
    expect(hit.role).toBe('assistant');
    // The non-streamed form of the same request is the same entry.
    const whole = await chat(ask('Once upon a time', { seed: 11 }));
    expect(whole.cache).toBe('hit-l1');
    expect(whole.data.choices[0]!.message.content).toBe(original.text);
  });

  it('skips the lookup and refreshes the entry on no-cache, and neither reads nor writes on no-store', async () => {
    const body = ask('The dog ran');
    expect((await chat(body)).cache).toBe('miss');
    const before = await env.generations();
    const stores = env.cache.stats().stores;
    expect((await chat(body, { 'Cache-Control': 'no-cache' })).cache).toBe('miss');
    expect(await env.generations()).toBe(before + 1);
    expect(env.cache.stats().stores).toBe(stores + 1);
    expect((await chat(body)).cache).toBe('hit-l1');

    expect((await chat(body, { 'Cache-Control': 'no-store' })).cache).toBe('bypass');
    expect(await env.generations()).toBe(before + 2);
    const fresh = ask('A bird sang');
    expect((await chat(fresh, { 'cache-control': 'no-store' })).cache).toBe('bypass');
    expect((await chat(fresh)).cache).toBe('miss');
    expect(env.cache.stats().stores).toBe(stores + 2);
  });

  it('caches only reproducible requests by default: temperature 0 or a seed; no temperature counts as 1', async () => {
    const { temperature: _, ...noTemperature } = ask('Sampling');
    expect((await chat(noTemperature as ReturnType<typeof ask>)).cache).toBe('bypass');
    expect((await chat(noTemperature as ReturnType<typeof ask>)).cache).toBe('bypass');
    expect((await chat(ask('Sampling', { temperature: 0.7 }))).cache).toBe('bypass');
    expect((await chat(ask('Sampling', { temperature: 0.7, seed: 3 }))).cache).toBe('miss');
    expect((await chat(ask('Sampling', { temperature: 0.7, seed: 3 }))).cache).toBe('hit-l1');
  });

  it('generates once for 20 identical concurrent requests', async () => {
    const before = await env.generations();
    const stats = env.cache.stats();
    // Long enough (200 tokens) that all 20 arrive while the first is still generating.
    const answers = await Promise.all(Array.from({ length: 20 }, () => chat(ask('Twenty at once', { max_tokens: 200 }))));
    expect(answers.filter((answer) => answer.cache === 'miss')).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.data.choices[0]!.message.content)).size).toBe(1);
    expect(await env.generations()).toBe(before + 1);
    expect(env.cache.stats().coalesced - stats.coalesced).toBe(19);
  });

  it('treats a corrupt L3 entry as a miss and removes it', async () => {
    const body = ask('Corrupt me');
    const original = await chat(body);
    clearL1();
    await flushL2();
    const db = new Database(join(env.dataDir, 'cache', `${env.spool.config.REDIS_PREFIX}.sqlite`));
    expect(db.prepare("UPDATE entries SET value = x'01deadbeef'").run().changes).toBeGreaterThan(0);
    db.close();
    const corrupt = env.cache.stats().corrupt;
    const again = await chat(body);
    expect(again.cache).toBe('miss');
    expect(again.data.choices).toEqual(original.data.choices);
    expect(env.cache.stats().corrupt).toBe(corrupt + 1);
    clearL1();
    await flushL2();
    expect((await chat(body)).cache).toBe('hit-l3');
  });

  it('reports cache hits in the metrics snapshot', () => {
    const stats = env.cache.stats();
    expect(stats.misses).toBeGreaterThan(0);
    expect(stats.l1Entries).toBeGreaterThan(0);
    expect(stats.l3Bytes).toBeGreaterThan(0);
  });
});
