import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig, redisNames, type AsyncJobObject } from '@spool/shared';
import { startLoad } from './helpers/keep-alive-load.js';
import { rawExchange } from './helpers/raw-http.js';
import { MODEL, REDIS_URL, startInProcessWorker, testEnv, type InProcessWorker } from './helpers/spool-harness.js';
import { startSpoolProcess, waitUntilReady, type SpoolProcess } from './helpers/spool-process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The chat requests the API logged, i.e. the ones it accepted, by status. */
function acceptedChats(api: SpoolProcess): number[] {
  return api.logs.filter((line) => line.msg === 'request' && line.path === '/v1/chat/completions').map((line) => line.status as number);
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  for (let index = 0; index < keys.length; index += 500) await redis.del(...keys.slice(index, index + 500));
  redis.disconnect();
}

describe('API shutdown', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  /** `spool api` as a child process and a worker in this process, on a fresh prefix. */
  async function startApiAndWorker(
    overrides: Record<string, string> = {},
  ): Promise<{ api: SpoolProcess; worker: InProcessWorker; env: Record<string, string> }> {
    const env = testEnv({ LOG_LEVEL: 'info', ...overrides });
    const worker = await startInProcessWorker(loadConfig(env, '/nonexistent/.env'));
    cleanups.push(() => deleteKeys(env.REDIS_PREFIX!));
    cleanups.push(() => worker.close());
    const api = await startSpoolProcess('api', env);
    cleanups.push(async () => {
      api.child.kill('SIGKILL');
    });
    await waitUntilReady(api.url);
    return { api, worker, env };
  }

  it('on SIGTERM under keep-alive load answers every request it accepted, refuses new connections, and exits 0', async () => {
    const { api } = await startApiAndWorker();
    const load = startLoad(api.url, 6);
    // Mid-load: requests have completed on the kept-alive connections and some are in flight.
    while (load.outcomes.filter((outcome) => outcome.kind === 'ok').length < 30 || load.inFlight < 3) await sleep(20);
    const inFlightAtSignal = load.inFlight;
    const signalledAt = Date.now();
    api.child.kill('SIGTERM');
    const code = await api.exited;
    const outcomes = await load.stop();

    const ok = outcomes.filter((outcome) => outcome.kind === 'ok');
    const refused = outcomes.filter((outcome) => outcome.kind === 'refused');
    const broken = outcomes.filter((outcome) => outcome.kind === 'broken');
    const accepted = acceptedChats(api);
    console.log(
      `SIGTERM with ${inFlightAtSignal} in flight: ${outcomes.length} sent, ${ok.length} answered (${ok.filter((outcome) => outcome.endedAt >= signalledAt).length} after the signal), ` +
        `${refused.length} refused, ${broken.length} broken [${broken.map((outcome) => (outcome.kind === 'broken' ? outcome.detail : '')).join('; ')}]; the API logged ${accepted.length} accepted`,
    );
    expect(code).toBe(0);
    // Every request the API accepted got its whole answer...
    expect(accepted.every((status) => status === 200)).toBe(true);
    expect(accepted.length).toBe(ok.length);
    // ...the requests in flight at the signal among them...
    expect(ok.filter((outcome) => outcome.endedAt >= signalledAt).length).toBeGreaterThanOrEqual(1);
    // ...and each client stopped at a refused connection. A request written on a pooled
    // connection the server had just closed fails before any answer (the keep-alive race every
    // HTTP/1.1 server has; clients such as the openai SDK retry it): the equality above shows the
    // server never took it in.
    expect(refused.length).toBe(6);
    expect(broken.filter((outcome) => outcome.kind === 'broken' && !outcome.detail.startsWith('request:'))).toEqual([]);
  }, 120_000);

  it('npm start on Ctrl-C drains the API while its worker still serves, then stops the worker, and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'spool-start-'));
    const env = testEnv({ LOG_LEVEL: 'info', SPOOL_DATA_DIR: dataDir });
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(() => deleteKeys(env.REDIS_PREFIX!));
    // A process group of its own, signalled as a whole the way a terminal's Ctrl-C is.
    const spool = await startSpoolProcess('start', env, { detached: true });
    cleanups.push(async () => process.kill(-spool.child.pid!, 'SIGKILL'));
    await waitUntilReady(spool.url, 90_000);
    const load = startLoad(spool.url, 6);
    while (load.outcomes.filter((outcome) => outcome.kind === 'ok').length < 30 || load.inFlight < 3) await sleep(20);
    const signalledAt = Date.now();
    process.kill(-spool.child.pid!, 'SIGINT');
    const code = await spool.exited;
    const outcomes = await load.stop();

    const ok = outcomes.filter((outcome) => outcome.kind === 'ok');
    const broken = outcomes.filter((outcome) => outcome.kind === 'broken');
    const accepted = acceptedChats(spool);
    console.log(
      `npm start, Ctrl-C: ${outcomes.length} sent, ${ok.length} answered (${ok.filter((outcome) => outcome.endedAt >= signalledAt).length} after the signal), ${broken.length} broken; ${accepted.length} accepted`,
    );
    expect(code).toBe(0);
    expect(accepted.every((status) => status === 200)).toBe(true);
    expect(accepted.length).toBe(ok.length);
    expect(ok.filter((outcome) => outcome.endedAt >= signalledAt).length).toBeGreaterThanOrEqual(1);
    expect(broken.filter((outcome) => outcome.kind === 'broken' && !outcome.detail.startsWith('request:'))).toEqual([]);
    // The worker stopped too (it takes itself out of the registry when it closes).
    const redis = new Redis(REDIS_URL);
    expect(await redis.hlen(redisNames(env.REDIS_PREFIX!).workers)).toBe(0);
    redis.disconnect();
  }, 180_000);

  it('ends what is still running at the end of SHUTDOWN_GRACE_MS with a clean 503 or SSE error event, and /ready answers 503 while it drains', async () => {
    const { api, env } = await startApiAndWorker({ SHUTDOWN_GRACE_MS: '1500' });
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(redisNames(env.REDIS_PREFIX!).queue(MODEL), { connection, prefix: env.REDIS_PREFIX });
    cleanups.push(async () => {
      await queue.close();
      connection.disconnect();
    });
    // Nothing starts: every request below is still waiting when the grace period ends.
    await queue.pause();
    const body = (stream: boolean) => JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8, stream });
    const post = (stream: boolean) =>
      fetch(`${api.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(stream) });
    const plain = post(false);
    const streamed = post(true);
    const jobAnswer = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: body(false),
    });
    const job = (await jobAnswer.json()) as AsyncJobObject;
    const events = await fetch(`${api.url}/v1/jobs/${job.id}/events`);
    expect(events.status).toBe(200);
    // A connection opened before the signal: a request on it during the drain is still answered.
    const ready = rawExchange(api.url, 'GET /ready HTTP/1.1\r\nHost: spool\r\n\r\n', { keepOpen: true, delayMs: 500 });
    await sleep(200);
    api.child.kill('SIGTERM');

    const readyAnswer = await ready;
    expect(readyAnswer.status).toBe(503);
    expect(readyAnswer.headers).toMatch(/connection: close/i);
    expect(JSON.parse(readyAnswer.body)).toMatchObject({ status: 'not_ready', draining: true });
    for (const answer of [await plain, await streamed]) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('server_shutting_down');
    }
    const stream = await events.text();
    expect(stream).toMatch(
      /data: \{"error":\{"message":"The server is shutting down; retry the request\.","type":"server_error","param":null,"code":"server_shutting_down"\}\}/,
    );
    expect(await api.exited).toBe(0);
  }, 120_000);
});
