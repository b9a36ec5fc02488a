import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import express from 'express';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '@spool/api';
import { startCacheSpool, type CacheSpool } from './helpers/cache-harness.js';
import { MODEL, startSpool, type Spool } from './helpers/spool-harness.js';

const ask = (content: string) => ({ model: MODEL, messages: [{ role: 'user' as const, content }], max_tokens: 8, temperature: 0 });

async function cacheOf(client: OpenAI, content: string, headers: Record<string, string> = {}) {
  const { response } = await client.chat.completions.create(ask(content), { headers }).withResponse();
  return response.headers.get('x-cache');
}

describe('cache scope', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  /** The API's app behind a stand-in for the auth middleware that sets the principal from a header. */
  async function withPrincipals(env: CacheSpool): Promise<(sub: string) => OpenAI> {
    const outer = express();
    outer.use((req, res, next) => {
      res.locals.principal = { sub: req.get('x-test-sub'), scopes: ['generate'] };
      next();
    });
    outer.use(createApp(env.spool.api.deps));
    const server = outer.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    return (sub) => new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0, defaultHeaders: { 'x-test-sub': sub } });
  }

  it("never answers one tenant's request from another tenant's entry", async () => {
    const env = await startCacheSpool();
    closers.push(env.close);
    const as = await withPrincipals(env);
    expect(await cacheOf(as('alice'), 'Shared prompt')).toBe('miss');
    expect(await cacheOf(as('alice'), 'Shared prompt')).toBe('hit-l1');
    expect(await cacheOf(as('bob'), 'Shared prompt')).toBe('miss');
    expect(await cacheOf(as('bob'), 'Shared prompt')).toBe('hit-l1');
  });

  it('shares entries between tenants when CACHE_SCOPE=global', async () => {
    const env = await startCacheSpool({ CACHE_SCOPE: 'global' });
    closers.push(env.close);
    const as = await withPrincipals(env);
    expect(await cacheOf(as('alice'), 'Global prompt')).toBe('miss');
    expect(await cacheOf(as('bob'), 'Global prompt')).toBe('hit-l1');
  });
});

describe('cache across replicas', () => {
  let first: CacheSpool | undefined;
  let second: Spool | undefined;
  afterAll(async () => {
    await second?.api.close();
    await first?.close();
  });

  it("lets a second replica wait for the first one's generation instead of running its own", async () => {
    first = await startCacheSpool();
    second = await startSpool({ CACHE_POLICY: 'deterministic', SPOOL_DATA_DIR: `${first.dataDir}/second`, REDIS_PREFIX: first.spool.config.REDIS_PREFIX });
    await second.waitForWorkers(1);
    const before = await first.generations();
    const body = { ...ask('Two replicas'), max_tokens: 40 };
    const [a, b] = await Promise.all([
      first.spool.client.chat.completions.create(body).withResponse(),
      second.client.chat.completions.create(body).withResponse(),
    ]);
    expect([a.response.headers.get('x-cache'), b.response.headers.get('x-cache')].sort()).toEqual(['hit-l2', 'miss']);
    expect(a.data.choices).toEqual(b.data.choices);
    expect(await first.generations()).toBe(before + 1);
  });
});

describe('cache with Redis (L2) down', () => {
  let env: CacheSpool | undefined;
  let redis: ChildProcess | undefined;
  afterAll(async () => {
    redis?.kill('SIGKILL');
    await env?.close();
  });

  it('keeps serving from L1 and L3 and still generates, without errors or waiting', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    env = await startCacheSpool({ CACHE_L2_URL: `redis://127.0.0.1:${port}` });
    const { client } = env.spool;
    expect(await cacheOf(client, 'Before the outage')).toBe('miss');
    env.cache.levels.l1.deletePrefix('');
    expect(await cacheOf(client, 'Before the outage')).toBe('hit-l2');

    redis.kill('SIGKILL');
    await new Promise((resolve) => redis!.once('exit', resolve));
    expect(await cacheOf(client, 'Before the outage')).toBe('hit-l1');
    env.cache.levels.l1.deletePrefix('');
    const startedAt = Date.now();
    expect(await cacheOf(client, 'Before the outage')).toBe('hit-l3');
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(await cacheOf(client, 'During the outage')).toBe('miss');
    expect(await cacheOf(client, 'During the outage')).toBe('hit-l1');
    for (let index = 0; index < 5; index += 1) {
      env.cache.levels.l1.deletePrefix('');
      expect(await cacheOf(client, 'During the outage')).toBe('hit-l3');
    }
    expect(env.cache.stats().l2Errors).toBeGreaterThan(0);
  });
});
