import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { securitySettings } from './settings/security.js';
import { jobsSettings } from './settings/jobs.js';
import { gpuSettings } from './settings/gpu.js';
import { cacheSettings } from './settings/cache.js';
import { functionsSettings } from './settings/functions.js';
import { batchSettings } from './settings/batch.js';
import { checkHttpSettings, httpSettings } from './settings/http.js';
import { redisSettings } from './settings/redis.js';

const flag = z.union([z.boolean(), z.string()]).transform((value) => value === true || /^(1|true|yes|on)$/i.test(String(value)));
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();

/** Every setting Spool reads. `.env.example` lists each with its default and meaning. */
export const configSchema = z
  .object({
    API_HOST: z.string().min(1).default('0.0.0.0'),
    API_PORT: z.coerce.number().int().min(0).max(65535).default(8000),
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('spool'),
    ...redisSettings,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PROMPTS: flag.default(false),
    METRICS_LOG_INTERVAL_S: nonNegativeInt.default(60),

    SPOOL_MODEL_PATH: z.string().default('./models:../shared/models'),
    SPOOL_DATA_DIR: z.string().default('./data'),
    MODELS_FILE: z.string().optional(),
    DEFAULT_MODEL: z.string().min(1).default('stories260K'),

    MODEL_THREADS: positiveInt.default(1),
    MODEL_CONTEXT_SIZE: positiveInt.default(512),
    MODEL_SLOTS: positiveInt.default(32),
    // A small second context of the llama.cpp engine for interactive work while batch lines fill the first.
    MODEL_PRIORITY_SLOTS: nonNegativeInt.default(2),
    // The llama.cpp engine runs on a thread of its own, away from the worker's queue and Redis work.
    MODEL_ENGINE_THREAD: flag.default(true),
    MODEL_BATCH_SIZE: positiveInt.default(512),

    // Unset: the engine's own capacity (vLLM: its KV cache, num_gpu_blocks × block_size; else slots × context).
    WORKER_TOKEN_BUDGET: positiveInt.optional(),
    // What a request without max_tokens is expected to generate, for the token budget (capped by the context).
    WORKER_EXPECTED_OUTPUT_TOKENS: positiveInt.default(512),
    MICROBATCH_WINDOW_MS: nonNegativeInt.default(2),
    STREAM_COALESCE_MS: nonNegativeInt.default(10),
    JOB_LOCK_MS: positiveInt.default(10_000),
    STALLED_INTERVAL_MS: positiveInt.default(5_000),
    HEARTBEAT_INTERVAL_MS: positiveInt.default(2_000),
    HEARTBEAT_TIMEOUT_MS: positiveInt.default(10_000),
    SHUTDOWN_GRACE_MS: nonNegativeInt.default(30_000),

    MAX_QUEUED_REQUESTS: positiveInt.default(1024),
    MAX_QUEUED_TOKENS: positiveInt.default(1_000_000),
    MAX_QUEUE_WAIT_MS: positiveInt.default(60_000),
    // Recomputes the queued-token counters from the queues this often, undoing what a crash left counted.
    QUEUED_TOKENS_RECONCILE_MS: nonNegativeInt.default(30_000),
    BODY_LIMIT: z.string().default('1mb'),
    ...httpSettings,
    ...securitySettings,
    ...jobsSettings,
    ...gpuSettings,
    ...cacheSettings,
    ...functionsSettings,
    ...batchSettings,
  })
  .superRefine(checkHttpSettings);

export type Config = z.infer<typeof configSchema>;

/** A setting that failed validation; the message names it in one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads settings from `env` over a `.env` file (env wins), validates them, and returns the config.
 * Spool's settings are read here only; beyond this, the worker hands its environment on to the vLLM
 * process it spawns.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, dotenvPath = '.env'): Config {
  const fromFile = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const merged: Record<string, string | undefined> = { ...fromFile, ...env };
  for (const key of Object.keys(merged)) if (merged[key] === '') delete merged[key];
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? 'config');
    throw new ConfigError(`Invalid setting ${name}=${JSON.stringify(merged[name])}: ${issue.message}`);
  }
  return result.data;
}
