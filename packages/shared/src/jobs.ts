import type { EmbeddingRequest, GenerationEvent, GenerationRequest, TokenLogprob, TokenUsage } from './engine.js';
import type { OpenAIErrorBody } from './errors.js';

/** BullMQ priorities (lower runs first); interactive jobs carry none, which BullMQ serves first. */
export const PRIORITY = { interactive: 0, async: 1, batch: 10 } as const;

/** Whether a queue priority is a batch line's (the lowest): what the worker's scheduler and the engines treat apart. */
export const isBatchPriority = (priority: number | undefined) => (priority ?? PRIORITY.interactive) >= PRIORITY.batch;

/** The payload of a generation job: the only contract between the API and the workers. */
export interface GenerationJob {
  requestId: string;
  model: string;
  /** One generation per choice index: n copies for chat, prompts × n for legacy completions. */
  inputs: GenerationRequest[];
  /**
   * A job of the embeddings kind (`inputs` then empty): the worker holding the model computes the
   * vectors and sends them with its `done` event.
   */
  embeddings?: EmbeddingRequest;
  /** Prompt estimate plus max tokens of every input, reserved against the queued-token cap. */
  reservedTokens: number;
  /** Whether the client is reading a stream: a re-run after a worker died cannot resume it. */
  stream: boolean;
  enqueuedAt: number;
  /** After this (epoch ms) a job that has not started is dropped. */
  deadlineAt: number;
  /** An async job: the worker also appends its events to the job's expiring log (see async-jobs.ts). */
  eventLog?: boolean;
  /**
   * Nobody listens to this job's events (a batch line: its coordinator takes the result from
   * BullMQ), so the worker publishes none: per-token messages would only cost its event loop.
   */
  silent?: boolean;
}

/** A complete tool call of a finished choice. */
export interface ToolCallResult {
  id: string;
  name: string;
  /** JSON text of the arguments. */
  arguments: string;
}

/** The final result stored on the BullMQ job. */
export interface GenerationResult {
  choices: { text: string; finishReason: string; toolCalls?: ToolCallResult[]; logprobs?: TokenLogprob[] }[];
  usage: TokenUsage;
  /** The vectors of an embeddings job. */
  embeddings?: number[][];
}

type Envelope = { seq: number; attempt: number };

/** Events a worker publishes on a job's channel, numbered from 0 within each attempt. */
export type JobEvent = Envelope &
  (
    | { type: 'start'; workerId: string }
    | ({ choice: number } & GenerationEvent)
    /** `embeddings`: the vectors of an embeddings job, all at once. */
    | { type: 'done'; usage: TokenUsage; embeddings?: number[][] }
    | { type: 'error'; status: number; error: OpenAIErrorBody }
  );

/** What a worker announces in Redis; the API lists models and checks readiness from it. */
export interface WorkerAnnouncement {
  workerId: string;
  model: string;
  engine: string;
  contextLength: number;
  slots: number;
  /** Of `slots`, the most batch lines can use, where the engine keeps a lane for other work. */
  batchSlots?: number;
  busySlots: number;
  waiting: number;
  memoryBytes: number;
  memoryKind: 'vram' | 'ram';
  generatedTokens: number;
  gpus: string[];
  /** Per-GPU memory and KV-cache use, where the engine reports them. */
  gpuMemory?: { index: string; usedBytes: number; totalBytes: number }[];
  kvCacheUsage?: number;
  pid: number;
  seenAt: number;
}

/** Redis names, all under one prefix so deployments and test runs never collide. */
export function redisNames(prefix: string) {
  return {
    prefix,
    /** BullMQ queue of a model; BullMQ forbids ':' in queue names. */
    queue: (model: string) => `gen.${model.replace(/[^A-Za-z0-9_.-]/g, '_')}`,
    jobChannel: (jobId: string) => `${prefix}:job:${jobId}`,
    cancelChannel: `${prefix}:cancel`,
    workers: `${prefix}:workers`,
    /** A model's queued-token counter: the sum of the reservations beside it (see queued-tokens.ts). */
    queuedTokens: (model: string) => `${prefix}:queued-tokens:${model}`,
    /** Hash of a model's queued jobs: job id to `tokens:sinceMs`. */
    queuedTokenReservations: (model: string) => `${prefix}:queued-token-reservations:${model}`,
  };
}
export type RedisNames = ReturnType<typeof redisNames>;
