/**
 * Batch benchmark: N short prompts (max_tokens 16) on the embedded model,
 *   1. on the engine in-process (createLlamaCppEngine, the same slots and threads), as many at once as it has slots;
 *   2. through Spool as one batch file (API + coordinator in this process, one worker as a child process),
 * with lines/s, tokens/s and their ratio; and the TTFT p50 of streamed interactive chats while idle and
 * while the batch runs. Usage: npm run bench:batch -- [--lines N] (or BENCH_BATCH_LINES; default 10000).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import OpenAI, { toFile } from 'openai';
import { startApi } from '@spool/api';
import { createLogger, EMBEDDED_MODEL_SOURCE, findModelFile, loadConfig } from '@spool/shared';
import { createLlamaCppEngine } from '@spool/worker';

const { values } = parseArgs({ options: { lines: { type: 'string' } } });
const LINES = Number(values.lines ?? process.env.BENCH_BATCH_LINES ?? 10_000);
const MAX_TOKENS = 16;
// Interactive requests during the batch: one every N ms (a user's pace; a request that takes longer
// delays the next), or back to back with 0, which makes them a load of their own.
const TTFT_INTERVAL_MS = Number(process.env.BENCH_TTFT_INTERVAL_MS ?? 250);
const prompt = (index: number) => `Once upon a time there was a child number ${index}`;

const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  REDIS_PREFIX: `spoolbench-${randomUUID().slice(0, 8)}`,
  API_HOST: '127.0.0.1',
  API_PORT: '0',
  LOG_LEVEL: 'warn',
  METRICS_LOG_INTERVAL_S: '0',
  SPOOL_DATA_DIR: await mkdtemp(join(tmpdir(), 'spool-bench-')),
  // The queue path is measured, not auth: no tokens, no rate limits.
  AUTH_DISABLED: 'true',
  RATE_LIMIT_IP_RPM: '0',
  RATE_LIMIT_RPM: '0',
  RATE_LIMIT_TPM: '0',
  RATE_LIMIT_AUTH_FAILURES: '0',
};
const config = loadConfig(env);
const percentile = (values: number[], share: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? NaN;
};

async function inProcess(): Promise<{ seconds: number; tokens: number }> {
  const engine = createLlamaCppEngine({
    modelId: config.DEFAULT_MODEL,
    modelPath: findModelFile(EMBEDDED_MODEL_SOURCE, config.SPOOL_MODEL_PATH)!,
    threads: config.MODEL_THREADS,
    contextSize: config.MODEL_CONTEXT_SIZE,
    slots: config.MODEL_SLOTS,
    batchSize: config.MODEL_BATCH_SIZE,
  });
  await engine.start();
  let next = 0;
  let tokens = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: config.MODEL_SLOTS }, async () => {
      while (next < LINES) {
        const index = next++;
        const request = {
          kind: 'completion' as const,
          prompt: prompt(index),
          maxTokens: MAX_TOKENS,
          temperature: 0,
          topP: 1,
          stop: [],
          presencePenalty: 0,
          frequencyPenalty: 0,
        };
        for await (const event of engine.generate(request, new AbortController().signal)) if (event.type === 'end') tokens += event.usage.completion_tokens;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await engine.stop();
  return { seconds, tokens };
}

/** User + system CPU seconds of a process so far (Linux /proc). */
async function processCpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function ttft(client: OpenAI): Promise<number> {
  const started = performance.now();
  const stream = await client.chat.completions.create({
    model: config.DEFAULT_MODEL,
    messages: [{ role: 'user', content: 'Tell me a story' }],
    max_tokens: MAX_TOKENS,
    stream: true,
  });
  let first = NaN;
  for await (const chunk of stream) if (Number.isNaN(first) && chunk.choices[0]?.delta.content) first = performance.now() - started;
  return first;
}

async function throughSpool() {
  const api = await startApi(config, createLogger({ name: 'bench-api', level: 'warn' }));
  const worker = spawn(
    process.execPath,
    [...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'bin/spool.ts', 'worker'],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const client = new OpenAI({ baseURL: `${api.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  try {
    while (!api.deps.registry.hasLiveWorker(config.DEFAULT_MODEL)) {
      if (worker.exitCode !== null) throw new Error(`the worker exited with code ${worker.exitCode} before it was ready`);
      await api.deps.registry.refresh();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (let index = 0; index < 3; index += 1) await ttft(client);
    const idle: number[] = [];
    for (let index = 0; index < 30; index += 1) idle.push(await ttft(client));

    const body = Array.from({ length: LINES }, (_, index) =>
      JSON.stringify({
        custom_id: `line-${index}`,
        method: 'POST',
        url: '/v1/completions',
        body: { model: config.DEFAULT_MODEL, prompt: prompt(index), max_tokens: MAX_TOKENS, temperature: 0 },
      }),
    ).join('\n');
    const file = await client.files.create({ file: await toFile(Buffer.from(body), 'bench.jsonl'), purpose: 'batch' });
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const workerCpuBefore = await processCpuSeconds(worker.pid!);
    let batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/completions', completion_window: '24h' });
    const loaded: number[] = [];
    // When each stage was first seen (seconds since create), to tell the fixed costs from the line rate.
    const phases: Record<string, number> = {};
    const seen = (name: string) => (phases[name] ??= Number(((performance.now() - started) / 1000).toFixed(2)));
    while (!['completed', 'failed', 'cancelled', 'expired'].includes(batch.status)) {
      seen(batch.status);
      const done = batch.request_counts?.completed ?? 0;
      if (done > 0) seen('first line done');
      if (done >= LINES / 2) seen('half the lines done');
      if (done >= LINES) seen('every line done');
      // Interactive requests only while lines are really running, one after another as a user would.
      if (batch.status === 'in_progress' && (batch.request_counts?.completed ?? 0) > 0) {
        const sentAt = performance.now();
        loaded.push(await ttft(client));
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, TTFT_INTERVAL_MS - (performance.now() - sentAt))));
      } else await new Promise((resolve) => setTimeout(resolve, 20));
      batch = await client.batches.retrieve(batch.id);
    }
    const seconds = (performance.now() - started) / 1000;
    seen(batch.status);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = { api: (cpu.user + cpu.system) / 1e6, worker: (await processCpuSeconds(worker.pid!)) - workerCpuBefore };
    if (batch.status !== 'completed') throw new Error(`the batch ended ${batch.status}`);
    const output = await (await client.files.content(batch.output_file_id!)).text();
    let tokens = 0;
    for (const line of output.split('\n')) if (line) tokens += JSON.parse(line).response.body.usage.completion_tokens;
    return { seconds, tokens, completed: batch.request_counts!.completed, idle, loaded, cpuSeconds, phases };
  } finally {
    worker.kill('SIGTERM');
    await once(worker, 'exit');
    await api.close();
    const redis = new Redis(config.REDIS_URL);
    const keys = await redis.keys(`${config.REDIS_PREFIX}:*`);
    for (let index = 0; index < keys.length; index += 500) await redis.del(...keys.slice(index, index + 500));
    redis.disconnect();
    await rm(config.SPOOL_DATA_DIR, { recursive: true, force: true });
  }
}

console.log(
  `batch bench: ${LINES} lines, max_tokens ${MAX_TOKENS}, slots ${config.MODEL_SLOTS} + ${config.MODEL_PRIORITY_SLOTS} priority, threads ${config.MODEL_THREADS}, BATCH_FREE_SLOTS ${config.BATCH_FREE_SLOTS}, an interactive request every ${TTFT_INTERVAL_MS} ms`,
);
// The machine is shared: the engine runs before and after Spool, and the ratio uses their mean.
const engineBefore = await inProcess();
const spool = await throughSpool();
const engineAfter = await inProcess();
const engine = { seconds: (engineBefore.seconds + engineAfter.seconds) / 2, tokens: (engineBefore.tokens + engineAfter.tokens) / 2 };
const rows = {
  engineLinesPerSecond: LINES / engine.seconds,
  engineTokensPerSecond: engine.tokens / engine.seconds,
  spoolLinesPerSecond: spool.completed / spool.seconds,
  spoolTokensPerSecond: spool.tokens / spool.seconds,
  idleTtftP50Ms: percentile(spool.idle, 0.5),
  loadedTtftP50Ms: percentile(spool.loaded, 0.5),
};
const result = {
  lines: LINES,
  maxTokens: MAX_TOKENS,
  slots: config.MODEL_SLOTS,
  threads: config.MODEL_THREADS,
  ...rows,
  linesRatio: rows.spoolLinesPerSecond / rows.engineLinesPerSecond,
  tokensRatio: rows.spoolTokensPerSecond / rows.engineTokensPerSecond,
  ttftLoadFactor: rows.loadedTtftP50Ms / rows.idleTtftP50Ms,
  ttftSamples: { idle: spool.idle.length, loaded: spool.loaded.length },
  freeSlots: config.BATCH_FREE_SLOTS,
  prioritySlots: config.MODEL_PRIORITY_SLOTS,
  ttftIntervalMs: TTFT_INTERVAL_MS,
  /** CPU seconds spent during the batch by this process (API, coordinator, TTFT client) and by the worker. */
  spoolCpuSeconds: spool.cpuSeconds,
  engineSeconds: [engineBefore.seconds, engineAfter.seconds],
  spoolSeconds: spool.seconds,
  spoolPhases: spool.phases,
};
const fixed = (value: number, digits = 1) => value.toFixed(digits);
console.table({
  'in-process engine (mean of before/after)': {
    'lines/s': fixed(rows.engineLinesPerSecond),
    'tokens/s': fixed(rows.engineTokensPerSecond),
    seconds: fixed(engine.seconds),
  },
  'through Spool (batch)': { 'lines/s': fixed(rows.spoolLinesPerSecond), 'tokens/s': fixed(rows.spoolTokensPerSecond), seconds: fixed(spool.seconds) },
  '  CPU s: API+coordinator / worker': { 'lines/s': '', 'tokens/s': `${fixed(spool.cpuSeconds.api)} / ${fixed(spool.cpuSeconds.worker)}`, seconds: '' },
  'ratio (target ≥ 0.85)': { 'lines/s': fixed(result.linesRatio, 3), 'tokens/s': fixed(result.tokensRatio, 3), seconds: '' },
});
console.table({
  'interactive TTFT p50, idle (ms)': { value: fixed(rows.idleTtftP50Ms) },
  'interactive TTFT p50, batch running (ms)': { value: fixed(rows.loadedTtftP50Ms) },
  'loaded / idle (target ≤ 2)': { value: fixed(result.ttftLoadFactor, 2) },
});
console.log('stages of the Spool run (s since batches.create):', JSON.stringify(spool.phases));
await mkdir('bench/results', { recursive: true });
const path = `bench/results/batch-${new Date().toISOString().replaceAll(':', '-')}.json`;
await writeFile(path, JSON.stringify(result, null, 2));
console.log(`wrote ${path}`);
