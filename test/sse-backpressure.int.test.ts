import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@spool/shared';
import { createWorker, type RunningWorker } from '@spool/worker';
import { createFloodEngine, type FloodEngine } from './helpers/flood-engine.js';
import { sample } from './helpers/prometheus-text.js';
import { openSocket } from './helpers/raw-http.js';
import { MODEL, REDIS_URL, startSpool, type Spool } from './helpers/spool-harness.js';

const STALL_MS = 2000;
// 2 MB/s for up to 12 s: far more than the kernel's socket buffers hold (a few MB on loopback).
const FLOOD = { chunkBytes: 16_384, intervalMs: 8, totalBytes: 24 * 1024 * 1024 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SSE backpressure', () => {
  let spool: Spool;
  let engine: FloodEngine;
  let worker: RunningWorker;
  let redis: Redis;

  beforeAll(async () => {
    spool = await startSpool({ SSE_STALL_TIMEOUT_MS: String(STALL_MS), WORKER_TOKEN_BUDGET: '100000000', RATE_LIMIT_TPM: '0', MAX_QUEUED_TOKENS: '100000000' });
    engine = createFloodEngine(FLOOD);
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    worker = await createWorker({
      config: spool.config,
      engine,
      redis,
      subscriber: redis.duplicate(),
      logger: createLogger({ name: 'flood-worker', level: 'silent' }),
    });
    await spool.waitForWorkers(1);
  });
  afterAll(async () => {
    await worker?.close();
    redis?.disconnect();
    await spool?.close();
  });

  it('keeps what a never-reading client costs bounded, then ends its stream and cancels its generation after SSE_STALL_TIMEOUT_MS', async () => {
    const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'flood' }], max_tokens: 5_000_000, stream: true });
    const socket = await openSocket(spool.url);
    socket.on('error', () => undefined);
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: spool\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    // The client reads the head of the answer, then nothing more.
    const head = await new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8'))));
    socket.pause();
    expect(head).toMatch(/^HTTP\/1\.1 200 /);

    let maxBuffered = 0;
    let inFlight = Infinity;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const metrics = await (await fetch(`${spool.url}/metrics`)).text();
      maxBuffered = Math.max(maxBuffered, sample(metrics, 'spool_http_buffered_bytes') ?? 0);
      // The scrape itself is one request in flight.
      inFlight = (sample(metrics, 'spool_http_requests_in_flight') ?? Infinity) - 1;
      if (inFlight === 0 && engine.aborted) break;
      await sleep(200);
    }
    console.log(
      `never-reading client: ${engine.producedBytes} bytes generated, at most ${maxBuffered} bytes buffered by the server (in flight ${inFlight}, aborted ${engine.aborted})`,
    );
    expect(maxBuffered).toBeLessThan(1024 * 1024);
    expect(inFlight).toBe(0);
    expect(engine.aborted).toBe(true);
    expect(engine.producedBytes).toBeLessThan(FLOOD.totalBytes);
    socket.destroy();
  }, 90_000);
});
