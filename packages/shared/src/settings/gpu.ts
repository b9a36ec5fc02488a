import { z } from 'zod';

/** Settings of GPU workers and the vLLM engine (see docs/gpu.md). */
export const gpuSettings = {
  /** The model a `spool worker` serves (id or alias); the first configured one when unset. */
  WORKER_MODEL: z.string().min(1).optional(),
  /** GPUs the worker is pinned to, comma-separated (`0,1,2,3`); overrides the model's `gpus`. */
  WORKER_GPUS: z
    .string()
    .regex(/^\s*[\w-]+(\s*,\s*[\w-]+)*\s*$/, 'a comma-separated list of GPU ids')
    .optional(),
  /** The vLLM executable a spawn-mode engine runs. */
  VLLM_BIN: z.string().min(1).default('vllm'),
  /** How long a spawned vLLM may take to answer /health (weights load for minutes on big models). */
  VLLM_STARTUP_TIMEOUT_MS: z.coerce.number().int().positive().default(900_000),
  /** Port of the worker's `/health` and `/health/live` probes (Kubernetes, Compose); 0 serves none. */
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** First wait before restarting a vLLM that died; it doubles on each crash in a row up to 30 s. */
  VLLM_RESTART_BACKOFF_MS: z.coerce.number().int().positive().default(1_000),
};
