import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { AUDIENCE, ISSUER, SECRET, sign, validClaims } from './helpers/jwt-fixtures.js';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

const auth = { AUTH_DISABLED: 'false', JWT_SECRET_KEY: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE };
const get = (spool: Spool, token: string, path = '/v1/models') => fetch(`${spool.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
const errorCode = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

describe('requests per minute across two API replicas sharing one Redis', () => {
  let replicas: Spool[];

  beforeAll(async () => {
    const prefix = `spooltest-${randomUUID().slice(0, 8)}`;
    replicas = await Promise.all([1, 2].map(() => startSpool({ ...auth, REDIS_PREFIX: prefix, RATE_LIMIT_RPM: '60', RATE_LIMIT_IP_RPM: '0' })));
  });
  afterAll(async () => {
    for (const replica of replicas ?? []) await replica.close();
  });

  it('answers the 61st request in a minute with 429 on whichever replica it reaches', async () => {
    const token = sign(validClaims({ sub: `rpm-${randomUUID()}` }));
    for (let index = 0; index < 60; index += 1) {
      const response = await get(replicas[index % 2]!, token);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-remaining-requests')).toBe(String(59 - index));
    }
    for (const replica of replicas) {
      const response = await get(replica, token);
      expect(response.status).toBe(429);
      expect(await errorCode(response)).toBe('rate_limit_exceeded');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('60');
      expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    }
    const client = new OpenAI({ baseURL: `${replicas[1]!.url}/v1`, apiKey: token, maxRetries: 0 });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    // Another subject has its own budget.
    expect((await get(replicas[0]!, sign(validClaims({ sub: `other-${randomUUID()}` })))).status).toBe(200);
  });

  it("lets a token's rpm claim override the default", async () => {
    const token = sign(validClaims({ sub: `claim-${randomUUID()}`, rpm: 3 }));
    const statuses = [];
    for (let index = 0; index < 4; index += 1) statuses.push((await get(replicas[index % 2]!, token)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('limits per client IP', () => {
  let spool: Spool;
  beforeAll(async () => {
    spool = await startSpool({ ...auth, RATE_LIMIT_IP_RPM: '8', RATE_LIMIT_AUTH_FAILURES: '3', RATE_LIMIT_RPM: '0' });
  });
  afterAll(async () => spool?.close());

  it('counts failed authentications harder: after 3 in a minute a bad token gets 429, before the IP budget runs out, while a valid token is served', async () => {
    for (let index = 0; index < 3; index += 1) expect((await get(spool, 'not-a-token')).status).toBe(401);
    const blocked = await get(spool, 'another-bad-token');
    expect(blocked.status).toBe(429);
    expect(await errorCode(blocked)).toBe('auth_rate_limit_exceeded');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await get(spool, sign(validClaims()))).status).toBe(200);
    // Health probes stay open and are not counted.
    expect((await fetch(`${spool.url}/health`)).status).toBe(200);
  });

  it('refuses the request past RATE_LIMIT_IP_RPM whatever the token', async () => {
    // 5 requests so far in this window (3 failures, 1 refused, 1 served); 3 more reach the budget of 8.
    const statuses = [];
    for (let index = 0; index < 4; index += 1) statuses.push((await get(spool, 'still-not-a-token')).status);
    expect(statuses.at(-1)).toBe(429);
    const response = await get(spool, sign(validClaims()));
    expect(await errorCode(response)).toBe('ip_rate_limit_exceeded');
  });
});

describe('the failed-auth lockout across two API replicas', () => {
  let replicas: Spool[];
  beforeAll(async () => {
    const prefix = `spooltest-${randomUUID().slice(0, 8)}`;
    // The default budget of 20 failures a minute; no other per-IP limit in the way.
    replicas = await Promise.all([1, 2].map(() => startSpool({ ...auth, REDIS_PREFIX: prefix, RATE_LIMIT_IP_RPM: '0', RATE_LIMIT_RPM: '0' })));
  });
  afterAll(async () => {
    for (const replica of replicas ?? []) await replica.close();
  });

  it('serves a valid token from an address that sent 20+ bad ones, on every replica, and refuses the next bad one with 429', async () => {
    const statuses = [];
    for (let index = 0; index < 24; index += 1) statuses.push((await get(replicas[index % 2]!, `bad-token-${index}`)).status);
    // Each replica sees its own failures at once and the other's within a lease: past 20 it refuses.
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.at(-1)).toBe(429);
    for (const replica of replicas) {
      // A fresh token (never verified before, so its signature is really checked) and a cached one.
      const token = sign(validClaims({ sub: `locked-ip-${randomUUID()}` }));
      expect((await get(replica, token)).status).toBe(200);
      expect((await get(replica, token)).status).toBe(200);
      const refused = await get(replica, 'yet-another-bad-token');
      expect(refused.status).toBe(429);
      expect(await errorCode(refused)).toBe('auth_rate_limit_exceeded');
      const missing = await fetch(`${replica.url}/v1/models`);
      expect(missing.status).toBe(429);
    }
  });
});

describe('TRUST_PROXY', () => {
  let direct: Spool;
  let proxied: Spool;
  beforeAll(async () => {
    [direct, proxied] = await Promise.all([
      startSpool({ ...auth, RATE_LIMIT_IP_RPM: '2', RATE_LIMIT_RPM: '0' }),
      startSpool({ ...auth, RATE_LIMIT_IP_RPM: '2', RATE_LIMIT_RPM: '0', TRUST_PROXY: '1' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([direct?.close(), proxied?.close()]);
  });

  const from = (spool: Spool, forwardedFor: string) =>
    fetch(`${spool.url}/v1/models`, { headers: { authorization: `Bearer ${sign(validClaims())}`, 'x-forwarded-for': forwardedFor } });

  it('ignores X-Forwarded-For by default, so a forged one does not buy a fresh budget', async () => {
    const statuses = [];
    for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) statuses.push((await from(direct, address)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('keys the per-IP limit on the forwarded client address when one proxy hop is trusted', async () => {
    const statuses = [];
    for (const address of ['198.51.100.1', '198.51.100.1', '198.51.100.1', '198.51.100.2']) statuses.push((await from(proxied, address)).status);
    expect(statuses).toEqual([200, 200, 429, 200]);
  });
});

describe('tokens per minute, reserved at admission and reconciled to real usage', () => {
  let spool: Spool;
  let worker: InProcessWorker;
  const TPM = 5000;

  beforeAll(async () => {
    spool = await startSpool({ ...auth, RATE_LIMIT_TPM: String(TPM), RATE_LIMIT_IP_RPM: '0' });
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
  });

  /** Tokens left for a token, read from a cheap request (it reserves nothing). */
  const remaining = async (token: string) => Number((await get(spool, token)).headers.get('x-ratelimit-remaining-tokens'));
  const settled = async (token: string, expected: number) => {
    for (let attempt = 0; attempt < 50 && (await remaining(token)) !== expected; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    return remaining(token);
  };

  it('holds back prompt estimate + max_tokens while generating and keeps only the real usage after', async () => {
    const token = sign(validClaims({ sub: `tpm-${randomUUID()}` }));
    const client = new OpenAI({ baseURL: `${spool.url}/v1`, apiKey: token, maxRetries: 0 });
    const prompt = 'Tell me a story about a cat';
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: prompt }], max_tokens: 30, temperature: 0 })
      .withResponse();
    // The response's own header shows the reservation: ceil(27 / 3) + 8 + 30 = 47.
    expect(Number(response.headers.get('x-ratelimit-remaining-tokens'))).toBe(TPM - 47);
    // The estimate is cheap, not exact (this tiny model's tokenizer and chat template use more), so the
    // window must move from the reservation to the real total, in whichever direction.
    expect(data.usage!.total_tokens).not.toBe(47);
    expect(await settled(token, TPM - data.usage!.total_tokens)).toBe(TPM - data.usage!.total_tokens);

    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: prompt }],
      max_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage = 0;
    for await (const chunk of stream) usage += chunk.usage?.total_tokens ?? 0;
    expect(usage).toBeGreaterThan(0);
    const expected = TPM - data.usage!.total_tokens - usage;
    expect(await settled(token, expected)).toBe(expected);
  });

  it('gives the whole reservation back when the request fails, and refuses one larger than the budget', async () => {
    const token = sign(validClaims({ sub: `tpm-${randomUUID()}`, tpm: 300 }));
    expect(await remaining(token)).toBe(300);
    const bad = await fetch(`${spool.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 50, temperature: -1 }),
    });
    expect(bad.status).toBe(400);
    expect(await settled(token, 300)).toBe(300);

    const client = new OpenAI({ baseURL: `${spool.url}/v1`, apiKey: token, maxRetries: 0 });
    const tooBig = client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 400 });
    await expect(tooBig).rejects.toMatchObject({ status: 429, code: 'tokens_rate_limit_exceeded' });
    expect(await remaining(token)).toBe(300);
  });

  it("refuses a request once earlier ones have used the minute's tokens", async () => {
    const token = sign(validClaims({ sub: `tpm-${randomUUID()}`, tpm: 120 }));
    const client = new OpenAI({ baseURL: `${spool.url}/v1`, apiKey: token, maxRetries: 0 });
    const request = { model: MODEL, messages: [{ role: 'user' as const, content: 'Once upon a time' }], max_tokens: 60, temperature: 0, stop: ['zzzz'] };
    // Two at once: each reserves 6 + 8 + 60 = 74, so the second does not fit in 120.
    const results = await Promise.allSettled([client.chat.completions.create(request), client.chat.completions.create(request)]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(OpenAI.RateLimitError);
  });
});
