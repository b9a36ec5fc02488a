/**
 * Foundation benchmark: streamed chat requests of 128 tokens at concurrency 1, 8 and 32, through
 * Spool (API and worker as child processes, Redis) and through the same engine in-process with the
 * same settings, in one run. Prints a table and writes JSON under bench/results/.
 *
 *   npm run bench                 # full run
 *   BENCH_ROUNDS=2 npm run bench  # quicker (requests per level = rounds × concurrency)
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLlamaCppEngine } from '@spool/worker';
import { findModelFile, loadConfig, type GenerationRequest } from '@spool/shared';
import { freePort, percentile, runConcurrently, spoolProcess, waitFor, writeResult } from './lib.js';
import { streamChat } from './sse-client.js';

const config = loadConfig();
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const levels = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number);
const maxTokens = 128;
const slots = 32;
const messages = [{ role: 'user' as const, content: 'Tell me a story about a dog.' }];
const chatBody = { model: config.DEFAULT_MODEL, messages, max_tokens: maxTokens, temperature: 0.8 };

interface LevelResult {
  target: 'spool' | 'engine';
  concurrency: number;
  requests: number;
  tokens: number;
  tokensPerSecond: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
}

function summarize(target: LevelResult['target'], concurrency: number, wallMs: number, timings: { ttftMs: number; tokens: number }[]): LevelResult {
  const tokens = timings.reduce((sum, timing) => sum + timing.tokens, 0);
  return {
    target,
    concurrency,
    requests: timings.length,
    tokens,
    tokensPerSecond: tokens / (wallMs / 1000),
    ttftP50Ms: percentile(
      timings.map((timing) => timing.ttftMs),
      0.5,
    ),
    ttftP99Ms: percentile(
      timings.map((timing) => timing.ttftMs),
      0.99,
    ),
  };
}

async function benchEngine(): Promise<{ levels: LevelResult[]; oneTokenP50Ms: number }> {
  const engine = createLlamaCppEngine({
    modelId: config.DEFAULT_MODEL,
    modelPath: findModelFile('stories260K.gguf', config.SPOOL_MODEL_PATH)!,
    threads: config.MODEL_THREADS,
    contextSize: config.MODEL_CONTEXT_SIZE,
    slots,
    batchSize: config.MODEL_BATCH_SIZE,
  });
  await engine.start();
  const request = (max: number): GenerationRequest => ({
    kind: 'chat',
    messages,
    maxTokens: max,
    temperature: 0.8,
    topP: 1,
    stop: [],
    presencePenalty: 0,
    frequencyPenalty: 0,
  });
  const run = async (max: number) => {
    const started = performance.now();
    let ttftMs = NaN;
    let tokens = 0;
    for await (const event of engine.generate(request(max), new AbortController().signal)) {
      if (event.type === 'text-delta' && Number.isNaN(ttftMs)) ttftMs = performance.now() - started;
      if (event.type === 'end') tokens = event.usage.completion_tokens;
    }
    return { ttftMs, tokens, totalMs: performance.now() - started };
  };
  const results: LevelResult[] = [];
  await run(8); // warm-up
  for (const concurrency of levels) {
    const timings: { ttftMs: number; tokens: number }[] = [];
    const wall = await runConcurrently(concurrency, rounds * concurrency, async () => void timings.push(await run(maxTokens)));
    results.push(summarize('engine', concurrency, wall, timings));
  }
  const oneToken: number[] = [];
  for (let index = 0; index < 50; index += 1) oneToken.push((await run(1)).totalMs);
  await engine.stop();
  return { levels: results, oneTokenP50Ms: percentile(oneToken, 0.5) };
}

async function benchSpool(): Promise<{ levels: LevelResult[]; oneTokenP50Ms: number }> {
  const port = await freePort();
  const env = {
    REDIS_PREFIX: `spoolbench-${randomUUID().slice(0, 8)}`,
    API_HOST: '127.0.0.1',
    API_PORT: String(port),
    LOG_LEVEL: 'warn',
    MODEL_SLOTS: String(slots),
    AUTH_DISABLED: 'true',
    CACHE_POLICY: 'off',
    RATE_LIMIT_IP_RPM: '0',
    RATE_LIMIT_RPM: '0',
    RATE_LIMIT_TPM: '0',
    RATE_LIMIT_AUTH_FAILURES: '0',
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const api = spoolProcess(['api'], env);
  const worker = spoolProcess(['worker'], env);
  try {
    await waitFor(async () => (await fetch(`${baseUrl}/ready`)).ok, 60_000, 'Spool to be ready');
    const results: LevelResult[] = [];
    await streamChat(baseUrl, { ...chatBody, max_tokens: 8 });
    for (const concurrency of levels) {
      const timings: { ttftMs: number; tokens: number }[] = [];
      const wall = await runConcurrently(concurrency, rounds * concurrency, async () => {
        const timing = await streamChat(baseUrl, chatBody);
        timings.push({ ttftMs: timing.ttftMs, tokens: timing.completionTokens });
      });
      results.push(summarize('spool', concurrency, wall, timings));
    }
    const oneToken: number[] = [];
    for (let index = 0; index < 50; index += 1) oneToken.push((await streamChat(baseUrl, { ...chatBody, max_tokens: 1 })).totalMs);
    return { levels: results, oneTokenP50Ms: percentile(oneToken, 0.5) };
  } finally {
    api.kill('SIGTERM');
    worker.kill('SIGTERM');
    const redis = new Redis(config.REDIS_URL);
    const keys = await redis.keys(`${env.REDIS_PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}

const engine = await benchEngine();
const spool = await benchSpool();
const rows = levels.map((concurrency) => {
  const e = engine.levels.find((level) => level.concurrency === concurrency)!;
  const s = spool.levels.find((level) => level.concurrency === concurrency)!;
  return {
    concurrency,
    'engine tok/s': e.tokensPerSecond.toFixed(0),
    'spool tok/s': s.tokensPerSecond.toFixed(0),
    'ratio spool/engine': (s.tokensPerSecond / e.tokensPerSecond).toFixed(3),
    'engine TTFT p50/p99 ms': `${e.ttftP50Ms.toFixed(1)} / ${e.ttftP99Ms.toFixed(1)}`,
    'spool TTFT p50/p99 ms': `${s.ttftP50Ms.toFixed(1)} / ${s.ttftP99Ms.toFixed(1)}`,
  };
});
console.table(rows);
const addedMs = spool.oneTokenP50Ms - engine.oneTokenP50Ms;
console.log(`1-token request p50: engine ${engine.oneTokenP50Ms.toFixed(2)} ms, spool ${spool.oneTokenP50Ms.toFixed(2)} ms, added ${addedMs.toFixed(2)} ms`);
console.log(`written to ${writeResult('foundation', { rounds, maxTokens, slots, engine, spool, rows, addedLatencyP50Ms: addedMs })}`);
