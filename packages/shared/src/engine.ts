import type { ChatMessage } from './openai/chat-completion.js';
import type { FinishReason, Usage } from './openai/common.js';
import type { ResponseFormatSpec, ToolChoice, ToolSpec } from './tool-spec.js';

// In a module of their own so that the OpenAI schemas, which translate to them, need not import this one.
export type { JsonSchema, ResponseFormatSpec, ToolChoice, ToolSpec } from './tool-spec.js';

/** What a model can do and how much of it at once. */
export interface ModelInfo {
  id: string;
  /** Tokens one sequence can hold: prompt plus completion. */
  contextLength: number;
  /** Sequences the engine runs at once. */
  slots: number;
  /** Of `slots`, the most batch lines can use (an engine keeping a lane for other work); default all. */
  batchSlots?: number;
  engine: string;
  /**
   * Tokens the engine's KV cache holds over all its sequences (vLLM: `num_gpu_blocks × block_size`).
   * The worker's token budget where WORKER_TOKEN_BUDGET is unset; `slots × contextLength` when absent.
   */
  tokenCapacity?: number;
}

/** One generation, already validated: the engine trusts every field. */
export interface GenerationRequest {
  /** `chat` formats `messages` with the model's chat template; `completion` continues `prompt`. */
  kind: 'chat' | 'completion';
  messages?: ChatMessage[];
  prompt?: string;
  /** Completion tokens at most; undefined means up to the end of the context. */
  maxTokens?: number;
  /** 0 means greedy; undefined: the engine's default (OpenAI's 1; vLLM: the model's generation_config). */
  temperature?: number;
  /** Undefined: the engine's default, as for `temperature`. */
  topP?: number;
  seed?: number;
  stop: string[];
  presencePenalty: number;
  frequencyPenalty: number;
  /** vLLM's sampling extras (see SAMPLING_EXTRAS); set only where the model's engine honours them. */
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
  /** Token id (as a string) → bias, -100..100. */
  logitBias?: Record<string, number>;
  /** Log probabilities of the chosen tokens, and of this many alternatives each. */
  logprobs?: boolean;
  topLogprobs?: number;
  /** Queue priority (lower runs first); engines with priority scheduling (vLLM) pass it on. */
  priority?: number;
  /** Functions the model may call (already checked with `findUnconstrainableKeyword`); none when absent. */
  tools?: ToolSpec[];
  /** How the model may use `tools`; `auto` when tools are given and this is absent. */
  toolChoice?: ToolChoice;
  /** Whether one answer may hold several calls. */
  parallelToolCalls?: boolean;
  /** Constrains a text answer to JSON; absent means free text. */
  responseFormat?: ResponseFormatSpec;
}

export type TokenUsage = Usage;

/** Stream parts an engine yields, in order, ending with exactly one `end`. */
export type GenerationEvent =
  /** `tokens`: how many generated tokens the piece holds, where the engine knows (else one a piece, as upstreams stream). */
  | { type: 'text-delta'; text: string; tokens?: number; logprobs?: TokenLogprob[] }
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; arguments: string; tokens?: number }
  | { type: 'end'; finishReason: FinishReason; usage: TokenUsage };

/** One generated token's log probability and its most likely alternatives, in OpenAI's chat shape. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

/** An embeddings request, already validated: texts or token ids. */
export interface EmbeddingRequest {
  inputs: (string | number[])[];
  /** Output dimensions, only where the engine supports shortening (vLLM with a Matryoshka model). */
  dimensions?: number;
}

export interface EmbeddingResult {
  /** One vector per input, in order. */
  vectors: number[][];
  promptTokens: number;
}

/** Load and memory figures an engine reports for heartbeats and the metrics log. */
export interface EngineStats {
  busySlots: number;
  /** Bytes of VRAM where a GPU is used, else of the process's RAM. */
  memoryBytes: number;
  memoryKind: 'vram' | 'ram';
  generatedTokens: number;
  /** Per-GPU memory of the worker's GPUs (from nvidia-smi), where it could be read. */
  gpus?: GpuMemory[];
  /** Fraction (0..1) of the engine's KV cache in use, where the engine reports it (vLLM). */
  kvCacheUsage?: number;
}

/** Memory of one GPU, in bytes. */
export interface GpuMemory {
  index: string;
  usedBytes: number;
  totalBytes: number;
}

export interface Engine {
  readonly model: ModelInfo;
  /** Loads weights or spawns the server and waits until it answers. */
  start(): Promise<void>;
  /**
   * Yields events until `end`. Aborting `signal` (or `break`) stops the work upstream and frees the
   * slot. Throws a `ContextLengthError` before yielding anything when the prompt does not fit.
   */
  generate(request: GenerationRequest, signal: AbortSignal): AsyncIterable<GenerationEvent>;
  /** Exact prompt tokens of a request with this model's tokenizer and template. */
  countPromptTokens(request: GenerationRequest): Promise<number>;
  /** One vector per input; absent on an engine that serves no embeddings. Throws a SpoolError for a client's fault. */
  embed?(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingResult>;
  stats(): EngineStats;
  /** False while the engine cannot run work (a vLLM restarting); absent means always able. */
  healthy?(): boolean;
  stop(): Promise<void>;
  /**
   * Calls `listener` once if the engine dies for good while running (an engine thread that exited):
   * it will not serve again, so its worker must stop taking jobs. Engines that restart what they
   * drive (vLLM's server) never call it.
   */
  onLost?(listener: (error: Error) => void): void;
}
