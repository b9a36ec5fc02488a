import { afterAll, beforeAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { startApi, type RunningApi } from '@spool/api';
import { createLogger, loadConfig, WAITING_REDIS_OPTIONS, type Config, type Engine, type Logger } from '@spool/shared';
import { createEngineForModel, createWorker, type RunningWorker } from '@spool/worker';
import { loadModelSpecs } from '@spool/shared';

export const MODEL = 'stories260K';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Settings for a test: its own key prefix, a free port, quiet logs, fast failure detection. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL,
    REDIS_PREFIX: `spooltest-${randomUUID().slice(0, 8)}`,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    LOG_LEVEL: 'silent',
    METRICS_LOG_INTERVAL_S: '0',
    SPOOL_MODEL_PATH: [process.env.SPOOL_MODEL_PATH, `${process.cwd()}/../shared/models`, `${process.cwd()}/models`].filter(Boolean).join(':'),
    MODEL_SLOTS: '4',
    JOB_LOCK_MS: '2000',
    STALLED_INTERVAL_MS: '1000',
    HEARTBEAT_INTERVAL_MS: '300',
    HEARTBEAT_TIMEOUT_MS: '2000',
    // Tests run without tokens and per-IP limits unless they override these (test/security*.int.test.ts does).
    AUTH_DISABLED: 'true',
    RATE_LIMIT_IP_RPM: '0',
    // Tests that repeat a request expect a generation each time; cache tests turn the cache on.
    CACHE_POLICY: 'off',
    ...overrides,
  };
}

export interface InProcessWorker<E extends Engine = Engine> {
  worker: RunningWorker;
  engine: E;
  close(): Promise<void>;
}

/** A worker inside the test process, on the real model (silent unless given a logger). */
export async function startInProcessWorker(config: Config, logger?: Logger): Promise<InProcessWorker>;
/** The same, with the engine wrapped first (a test's fault injection, say). */
export async function startInProcessWorker<E extends Engine>(
  config: Config,
  logger: Logger | undefined,
  wrapEngine: (engine: Engine) => E,
): Promise<InProcessWorker<E>>;
export async function startInProcessWorker(
  config: Config,
  logger: Logger = createLogger({ name: 'test-worker', level: 'silent' }),
  wrapEngine: (engine: Engine) => Engine = (engine) => engine,
): Promise<InProcessWorker> {
  const engine = wrapEngine(await createEngineForModel(loadModelSpecs(config)[0]!, config));
  await engine.start();
  const redis = new Redis(config.REDIS_URL, WAITING_REDIS_OPTIONS);
  const subscriber = redis.duplicate();
  const worker = await createWorker({ config, engine, redis, subscriber, logger });
  return {
    worker,
    engine,
    async close() {
      await worker.close();
      await engine.stop();
      // Both: a subscriber left open reconnects forever, to a Redis a fault test has since stopped.
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}

/** A worker as a child process (`spool worker`), so a test can SIGKILL it. */
export function startWorkerProcess(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'bin/spool.ts', 'worker'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export interface Spool {
  env: Record<string, string>;
  config: Config;
  api: RunningApi;
  url: string;
  client: OpenAI;
  /** Resolves once `count` workers of the model have announced themselves. */
  waitForWorkers(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts an API on a free port with its own Redis prefix; workers are started by the test. */
export async function startSpool(overrides: Record<string, string> = {}, logger?: Logger): Promise<Spool> {
  const env = testEnv(overrides);
  const config = loadConfig(env, '/nonexistent/.env');
  const api = await startApi(config, logger ?? createLogger({ name: 'test-api', level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent' }));
  const client = new OpenAI({ baseURL: `${api.url}/v1`, apiKey: process.env.SPOOL_TEST_TOKEN ?? 'unused', maxRetries: 0 });
  return {
    env,
    config,
    api,
    url: api.url,
    client,
    async waitForWorkers(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await api.deps.registry.refresh();
        if (api.deps.registry.workers().filter((worker) => worker.model === MODEL).length >= count) return;
        if (Date.now() > deadline) throw new Error(`fewer than ${count} workers after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async close() {
      await api.close();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${config.REDIS_PREFIX}:*`);
      for (let index = 0; index < keys.length; index += 500) await redis.del(...keys.slice(index, index + 500));
      redis.disconnect();
    },
  };
}

/**
 * A Spool API and one in-process worker for the tests of one `describe`, started before them and
 * closed after. Read `spool` and `worker` inside the tests (they are set once the hook has run).
 */
export function useSpool(overrides: Record<string, string> = {}): { readonly spool: Spool; readonly worker: InProcessWorker } {
  let spool: Spool | undefined;
  let worker: InProcessWorker | undefined;
  beforeAll(async () => {
    spool = await startSpool(overrides);
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
  });
  return {
    get spool() {
      return spool!;
    },
    get worker() {
      return worker!;
    },
  };
}
