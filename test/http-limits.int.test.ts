import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisNames, type AsyncJobObject } from '@spool/shared';
import { rawExchange } from './helpers/raw-http.js';
import { MODEL, REDIS_URL, useSpool } from './helpers/spool-harness.js';

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;

const errorOf = (body: string) => (JSON.parse(body) as { error: { message: string; type: string; param: unknown; code: string } }).error;

describe('HTTP limits of the API server', () => {
  const running = useSpool({ HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
  let connection: Redis;
  let queue: Queue;
  beforeAll(() => {
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(redisNames(running.spool.config.REDIS_PREFIX).queue(MODEL), { connection, prefix: running.spool.config.REDIS_PREFIX });
  });
  afterAll(async () => {
    await queue?.close();
    connection?.disconnect();
  });

  it("answers headers over Node's size limit with 431 and an OpenAI error body", async () => {
    const answer = await rawExchange(running.spool.url, `GET /v1/models HTTP/1.1\r\nHost: spool\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer.status).toBe(431);
    expect(answer.headers).toMatch(/content-type: application\/json/i);
    expect(errorOf(answer.body)).toEqual({
      message: 'The request headers are too large.',
      type: 'invalid_request_error',
      param: null,
      code: 'request_header_fields_too_large',
    });
  });

  it('answers a request that is not HTTP with 400 and an OpenAI error body', async () => {
    const answer = await rawExchange(running.spool.url, 'HELLO THERE\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(errorOf(answer.body)).toMatchObject({ type: 'invalid_request_error', code: 'malformed_request' });
  });

  it('answers 408 with an OpenAI error body when the headers do not arrive within HTTP_HEADERS_TIMEOUT_MS', async () => {
    const answer = await rawExchange(running.spool.url, 'GET /v1/models HTTP/1.1\r\nHost: spool\r\n', { keepOpen: true });
    expect(answer.status).toBe(408);
    expect(errorOf(answer.body)).toMatchObject({ type: 'invalid_request_error', code: 'request_timeout' });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(answer.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS * 5);
  });

  it('answers 408 when a body trickles in past HTTP_REQUEST_TIMEOUT_MS', async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: spool\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`;
    const answer = await rawExchange(running.spool.url, `${head}{"model":`, { keepOpen: true });
    expect(answer.status).toBe(408);
    expect(errorOf(answer.body)).toMatchObject({ code: 'request_timeout' });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
  });

  it('never cuts an answer that takes longer than HTTP_REQUEST_TIMEOUT_MS: a waiting request and an event stream both finish', async () => {
    // The queue is paused: both wait, silent, for well past the request timeout (Node checks it every 250 ms here).
    await queue.pause();
    const chat = fetch(`${running.spool.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 4 }),
    });
    const job = (await running.spool.client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 },
      { headers: { Prefer: 'respond-async' } },
    )) as unknown as AsyncJobObject;
    const events = fetch(`${running.spool.url}/v1/jobs/${job.id}/events`);
    await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS * 2.5));
    await queue.resume();
    const chatAnswer = await chat;
    expect(chatAnswer.status).toBe(200);
    expect(((await chatAnswer.json()) as { object: string }).object).toBe('chat.completion');
    const eventsAnswer = await events;
    expect(eventsAnswer.status).toBe(200);
    expect((await eventsAnswer.text()).trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});
