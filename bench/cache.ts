/**
 * Cache benchmark: requests/s and p50/p99 latency of L1, L2 and L3 hits and of a bare Express route
 * returning a fixed JSON, all served by one child process and loaded from this one, in one run.
 *
 *   npm run bench:cache [-- --seconds 4 --concurrency 8 --slices 8]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import express from 'express';
import { Redis } from 'ioredis';
import { mintToken, startApi } from '@spool/api';
import { createLogger, loadConfig, loadModelSpecs } from '@spool/shared';
import { createEngineForModel, createWorker } from '@spool/worker';
import { cpuSeconds } from './lib.js';

const BODY = JSON.stringify({ model: 'stories260K', messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 32, temperature: 0 });
const FIXED = {
  id: 'chatcmpl-fixed',
  object: 'chat.completion',
  created: 0,
  model: 'stories260K',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Once upon a time there was a cat.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
};

/** The server side: a worker, three APIs on one prefix (L1 on; L1 off; L1 off and L2 unreachable) and the bare route. */
async function serve(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spool-bench-cache-'));
  const base = {
    REDIS_PREFIX: `spoolbench-${process.pid}`,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    LOG_LEVEL: 'silent',
    METRICS_LOG_INTERVAL_S: '0',
    SPOOL_DATA_DIR: dataDir,
    SPOOL_MODEL_PATH: `${process.cwd()}/models:${process.cwd()}/../shared/models`,
    MODEL_SLOTS: '2',
    CACHE_POLICY: 'deterministic',
    // Auth and every rate limit on, as in production; limits high enough never to refuse the load.
    // BENCH_CACHE_SECURITY=auth keeps auth and turns the limits off; =off turns both off.
    JWT_SECRET_KEY: process.env.SPOOL_BENCH_SECRET!,
    ...(process.env.BENCH_CACHE_SECURITY === 'off' ? { AUTH_DISABLED: 'true' } : {}),
    ...(process.env.BENCH_CACHE_SECURITY === 'off' || process.env.BENCH_CACHE_SECURITY === 'auth'
      ? { RATE_LIMIT_RPM: '0', RATE_LIMIT_TPM: '0', RATE_LIMIT_IP_RPM: '0', RATE_LIMIT_AUTH_FAILURES: '0' }
      : { RATE_LIMIT_RPM: '100000000', RATE_LIMIT_TPM: '1000000000000', RATE_LIMIT_IP_RPM: '100000000' }),
  };
  const config = loadConfig({ ...process.env, ...base }, '/nonexistent/.env');
  const engine = await createEngineForModel(loadModelSpecs(config)[0]!, config);
  await engine.start();
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const logger = createLogger({ name: 'bench', level: 'silent' });
  const worker = await createWorker({ config, engine, redis, subscriber: redis.duplicate(), logger });
  const apis = {
    l1: await startApi(config, logger),
    l2: await startApi(loadConfig({ ...process.env, ...base, CACHE_L1_MAX_BYTES: '0' }, '/nonexistent/.env'), logger),
    l3: await startApi(loadConfig({ ...process.env, ...base, CACHE_L1_MAX_BYTES: '0', CACHE_L2_URL: 'redis://127.0.0.1:1' }, '/nonexistent/.env'), logger),
  };
  const bare = express()
    .post('/bare', express.json(), (_req, res) => void res.json(FIXED))
    .listen(0, '127.0.0.1');
  await new Promise((resolve) => bare.once('listening', resolve));
  for (const api of Object.values(apis)) {
    for (let tries = 0; !api.deps.registry.hasLiveWorker(config.DEFAULT_MODEL); tries += 1) {
      if (tries > 300) throw new Error('no worker');
      await api.deps.registry.refresh();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  process.stdout.write(
    `${JSON.stringify({ bare: (bare.address() as AddressInfo).port, ...Object.fromEntries(Object.entries(apis).map(([level, api]) => [level, new URL(api.url).port])) })}\n`,
  );
  process.on('SIGTERM', async () => {
    bare.close();
    for (const api of Object.values(apis)) await api.close();
    await worker.close();
    await engine.stop();
    const keys = await redis.keys(`${config.REDIS_PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

interface Result {
  target: string;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU the serving process spent per request, and Redis's: steadier than requests/s on a shared machine. */
  serverCpuUs: number;
  redisCpuUs: number;
  xCache: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const SECRET = process.env.SPOOL_BENCH_SECRET ?? randomBytes(32).toString('hex');
const TOKEN = mintToken({ JWT_SECRET_KEY: SECRET }, { sub: 'bench', scope: 'generate', ttl: '1h' });

function post(port: number, path: string): Promise<{ status: number; cache: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY), authorization: `Bearer ${TOKEN}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, cache: String(res.headers['x-cache'] ?? '-') }));
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

interface Sample {
  latencies: number[];
  seconds: number;
  seen: Set<string>;
  serverCpuS: number;
  redisCpuS: number;
}

/** Redis's own CPU seconds so far (INFO cpu), so the cost of the limits' round trips shows up too. */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Closed loop for one slice: `concurrency` callers, each sending its next request when the last one is answered. */
async function load(target: string, port: number, path: string, seconds: number, concurrency: number, sample: Sample): Promise<void> {
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < endAt) {
        const sentAt = performance.now();
        const answer = await post(port, path);
        if (answer.status !== 200) throw new Error(`${target}: status ${answer.status}`);
        sample.seen.add(answer.cache);
        sample.latencies.push(performance.now() - sentAt);
      }
    }),
  );
  sample.seconds += (performance.now() - startedAt) / 1000;
}

function summarize(target: string, sample: Sample): Result {
  const sorted = [...sample.latencies].sort((a, b) => a - b);
  const at = (fraction: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!.toFixed(3));
  const perRequestUs = (seconds: number) => Math.round((seconds / sorted.length) * 1e6);
  return {
    target,
    requests: sorted.length,
    rps: Math.round(sorted.length / sample.seconds),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    serverCpuUs: perRequestUs(sample.serverCpuS),
    redisCpuUs: perRequestUs(sample.redisCpuS),
    xCache: [...sample.seen].join(','),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '4' }, concurrency: { type: 'string', default: '8' }, slices: { type: 'string', default: '8' } },
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const slices = Number(values.slices);
  const server = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SPOOL_BENCH_SECRET: SECRET },
  });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    const ports = await new Promise<Record<'bare' | 'l1' | 'l2' | 'l3', number>>((resolve, reject) => {
      server.stdout!.once('data', (data: Buffer) => resolve(JSON.parse(data.toString())));
      server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const first = await post(ports.l1, '/v1/chat/completions');
    console.log(`populated the cache (${first.cache}); ${seconds} s per target in ${slices} interleaved slices, ${concurrency} callers`);
    const targets = [
      { name: 'bare express route', port: ports.bare, path: '/bare' },
      { name: 'L1 hit', port: ports.l1, path: '/v1/chat/completions' },
      { name: 'L2 hit', port: ports.l2, path: '/v1/chat/completions' },
      { name: 'L3 hit', port: ports.l3, path: '/v1/chat/completions' },
    ];
    for (const target of targets) for (let index = 0; index < 200; index += 1) await post(target.port, target.path);
    // Short interleaved slices, so a burst of load from elsewhere on the machine hits every target alike.
    const samples = new Map(
      targets.map((target) => [target.name, { latencies: [], seconds: 0, seen: new Set<string>(), serverCpuS: 0, redisCpuS: 0 } as Sample]),
    );
    for (let slice = 0; slice < slices; slice += 1) {
      for (const target of targets) {
        const sample = samples.get(target.name)!;
        const [serverBefore, redisBefore] = [cpuSeconds(server.pid!), await redisCpuSeconds(redis)];
        await load(target.name, target.port, target.path, seconds / slices, concurrency, sample);
        sample.serverCpuS += cpuSeconds(server.pid!) - serverBefore;
        sample.redisCpuS += (await redisCpuSeconds(redis)) - redisBefore;
      }
    }
    const rows = targets.map((target) => summarize(target.name, samples.get(target.name)!));
    console.table(rows);
    const ratio = Number((rows[1]!.rps / rows[0]!.rps).toFixed(2));
    console.log(`L1 hit / bare route: ${ratio} (target >= 0.5, with JWT auth and every rate limit on for the cache levels; the bare route has neither)`);
    mkdirSync('bench/results', { recursive: true });
    const file = `bench/results/cache-${new Date().toISOString().replaceAll(':', '-')}.json`;
    writeFileSync(file, JSON.stringify({ seconds, concurrency, slices, rows, l1ToBareRatio: ratio }, null, 2));
    console.log(`wrote ${file}`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => (server.exitCode === null ? server.once('exit', resolve) : resolve(undefined)));
    agent.destroy();
    redis.disconnect();
  }
}

if (process.argv[2] === 'serve') await serve();
else await main();
