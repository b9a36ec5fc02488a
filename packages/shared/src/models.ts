import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Config } from './config.js';

const positiveInt = z.number().int().positive();

export const MODEL_CAPABILITIES = ['chat', 'completions', 'embeddings'] as const;
export type ModelCapability = (typeof MODEL_CAPABILITIES)[number];

/** Options of the `llamacpp` engine; unset ones fall back to the MODEL_* settings. */
export const llamaCppOptionsSchema = z.strictObject({
  threads: positiveInt.optional(),
  contextSize: positiveInt.optional(),
  slots: positiveInt.optional(),
  /** Sequences of the priority lane (see MODEL_PRIORITY_SLOTS). */
  prioritySlots: z.number().int().nonnegative().optional(),
  batchSize: positiveInt.optional(),
  /** `false` (CPU, the default), `auto` (whatever node-llama-cpp finds), or one backend. */
  gpu: z.union([z.literal(false), z.enum(['auto', 'cuda', 'vulkan', 'metal'])]).default(false),
  /** Layers offloaded to the GPU: a count, `max`, or `auto` (as many as fit). */
  gpuLayers: z.union([z.number().int().nonnegative(), z.enum(['auto', 'max'])]).default('auto'),
});
export type LlamaCppOptions = z.infer<typeof llamaCppOptionsSchema>;

/** Options of the `vllm` engine. Without `url` the worker spawns `vllm serve` on its GPUs. */
export const vllmOptionsSchema = z.strictObject({
  /** Attach mode: the base URL of a running vLLM (`http://host:8000`); nothing is spawned. */
  url: z.string().url().optional(),
  /** Sent as a bearer token; in spawn mode also given to the server as VLLM_API_KEY (never on its command line). */
  apiKey: z.string().min(1).optional(),
  /** Defaults to the number of GPUs the worker is pinned to. */
  tensorParallelSize: positiveInt.optional(),
  pipelineParallelSize: positiveInt.default(1),
  /** `--data-parallel-size`: full replicas of the model inside one vLLM, for throughput; TP × PP × DP = the pinned GPUs. */
  dataParallelSize: positiveInt.default(1),
  /** Tokens per sequence; vLLM's own default (the model's) when unset. */
  maxModelLen: positiveInt.optional(),
  gpuMemoryUtilization: z.number().gt(0).max(1).default(0.9),
  /** Sequences vLLM runs at once per data-parallel engine (`--max-num-seqs`, vLLM's own default 256); × DP are the worker's slots. */
  maxNumSeqs: positiveInt.default(256),
  /**
   * Tokens vLLM's KV cache holds, for the worker's token budget. Read from vLLM's
   * `vllm:cache_config_info` (num_gpu_blocks × block_size) at start when unset; set it for an
   * attached server whose metrics lack it.
   */
  kvCacheTokens: positiveInt.optional(),
  /** `--tool-call-parser` (hermes, llama3_json, mistral, ...); turns on `--enable-auto-tool-choice`. */
  toolCallParser: z.string().min(1).optional(),
  /** `priority` lets interactive requests overtake batch lines inside vLLM; `fcfs` is vLLM's default. */
  schedulingPolicy: z.enum(['priority', 'fcfs']).optional(),
  /** Free extra arguments for `vllm serve`, e.g. `["--dtype", "bfloat16"]`. */
  extraArgs: z.array(z.string()).default([]),
});
export type VllmOptions = z.infer<typeof vllmOptionsSchema>;

/** Options of the `openai` engine: any OpenAI-compatible upstream. */
export const openAIOptionsSchema = z.strictObject({
  /** Base URL including the version path, e.g. `https://host/v1`. */
  url: z.string().url(),
  apiKey: z.string().min(1).optional(),
  /** Tokens per sequence the upstream accepts (used for admission; the upstream has the last word). */
  contextLength: positiveInt.default(4096),
  /** Requests this worker keeps in flight upstream at most. */
  slots: positiveInt.default(16),
  /** Extra request headers. */
  headers: z.record(z.string(), z.string()).default({}),
});
export type OpenAIOptions = z.infer<typeof openAIOptionsSchema>;

export const engineOptionsSchemas = {
  llamacpp: llamaCppOptionsSchema,
  vllm: vllmOptionsSchema,
  openai: openAIOptionsSchema,
} as const;
export type EngineName = keyof typeof engineOptionsSchemas;

const gpuId = z.union([z.string().regex(/^[\w-]+$/), z.number().int().nonnegative()]).transform(String);

export const modelSpecSchema = z
  .object({
    id: z.string().min(1),
    aliases: z.array(z.string().min(1)).default([]),
    engine: z.enum(['llamacpp', 'vllm', 'openai']).default('llamacpp'),
    /** A file name on SPOOL_MODEL_PATH, a path, an `hf:` URI, or an engine's model id. */
    source: z.string().min(1),
    /** Where a llama.cpp model file on none of the search paths is downloaded from once (an `hf:` URI or URL). */
    download: z.string().min(1).optional(),
    /** Engine options, validated by the engine's schema above. */
    options: z.record(z.string(), z.unknown()).default({}),
    /** GPUs a worker of this model is pinned to unless `--gpus`/WORKER_GPUS says otherwise. */
    gpus: z.array(gpuId).default([]),
    /**
     * What the model serves. Unset: text generation, and on llama.cpp embeddings too (any GGUF gives
     * them). A vLLM or upstream embedding model says `[embeddings]` (vLLM run with `--runner pooling`).
     */
    capabilities: z.array(z.enum(MODEL_CAPABILITIES)).min(1).optional(),
  })
  .transform((spec, context) => {
    const parsed = engineOptionsSchemas[spec.engine].safeParse(spec.options);
    if (parsed.success) return { ...spec, options: parsed.data as Record<string, unknown> };
    for (const issue of parsed.error.issues) {
      context.addIssue({ ...issue, path: ['options', ...issue.path] } as never);
    }
    return z.NEVER;
  });
export type ModelSpec = z.infer<typeof modelSpecSchema>;

export const modelsFileSchema = z.object({ models: z.array(modelSpecSchema).min(1) }).superRefine(({ models }, context) => {
  const seen = new Map<string, string>();
  models.forEach((spec, index) => {
    for (const name of [spec.id, ...spec.aliases]) {
      const owner = seen.get(name);
      if (owner !== undefined) {
        context.addIssue({ code: 'custom', path: ['models', index], message: `'${name}' names both '${owner}' and '${spec.id}'` });
      }
      seen.set(name, spec.id);
    }
  });
});

/** A models file that failed to load; the message names the file and the first problem. */
export class ModelsFileError extends Error {
  override name = 'ModelsFileError';
}

/** The embedded default: the 1 MB TinyStories model, found along SPOOL_MODEL_PATH. */
export const EMBEDDED_MODEL_SOURCE = 'stories260K.gguf';
/** Where the embedded default is downloaded from once, on a machine with a network, when no search path has it. */
export const EMBEDDED_MODEL_DOWNLOAD = 'hf:ggml-org/models/tinyllamas/stories260K.gguf';

/** Parses the text of a models file; YAML is a superset of JSON, so one parser reads both. */
export function parseModelsFile(text: string, fileName = 'MODELS_FILE'): ModelSpec[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ModelsFileError(`${fileName} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  const result = modelsFileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ModelsFileError(`${fileName}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data.models;
}

/** The configured models: from MODELS_FILE (YAML or JSON) when set, else the embedded default. */
export function loadModelSpecs(config: Config): ModelSpec[] {
  if (!config.MODELS_FILE) {
    return [modelSpecSchema.parse({ id: config.DEFAULT_MODEL, source: EMBEDDED_MODEL_SOURCE, download: EMBEDDED_MODEL_DOWNLOAD })];
  }
  if (!existsSync(config.MODELS_FILE)) throw new ModelsFileError(`MODELS_FILE ${config.MODELS_FILE} does not exist.`);
  return parseModelsFile(readFileSync(config.MODELS_FILE, 'utf8'), config.MODELS_FILE);
}

/** Typed options of a spec, as its engine's schema validated them. */
export function engineOptions<E extends EngineName>(spec: ModelSpec, engine: E): z.infer<(typeof engineOptionsSchemas)[E]> {
  return engineOptionsSchemas[engine].parse(spec.options) as z.infer<(typeof engineOptionsSchemas)[E]>;
}

/** What a model serves: `/v1/models` lists it, and `/v1/embeddings` refuses a model without `embeddings`. */
export function modelCapabilities(spec: ModelSpec): ModelCapability[] {
  return spec.capabilities ?? (spec.engine === 'llamacpp' ? ['chat', 'completions', 'embeddings'] : ['chat', 'completions']);
}

/** Finds a model id or alias among the specs. */
export function findModelSpec(specs: ModelSpec[], name: string): ModelSpec | undefined {
  return specs.find((spec) => spec.id === name || spec.aliases.includes(name));
}

/** Candidate paths of a model file along the search path, in order. */
export function modelFileCandidates(source: string, searchPath: string): string[] {
  if (source.startsWith('/') || source.startsWith('./') || source.startsWith('../')) return [source];
  return searchPath
    .split(':')
    .filter(Boolean)
    .map((dir) => `${dir.replace(/\/$/, '')}/${source}`);
}

/** The first existing candidate, or undefined. */
export function findModelFile(source: string, searchPath: string): string | undefined {
  return modelFileCandidates(source, searchPath).find((path) => existsSync(path));
}
