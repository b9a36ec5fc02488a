import type { Engine, GenerationRequest, Logger, ModelInfo, VllmOptions } from '@spool/shared';
import { join } from 'node:path';
import { createGpuMonitor, usedBytes } from './gpu/gpu-monitor.js';
import { gpuIndices } from './gpu/gpu-indices.js';
import { EngineLostError } from './engine-lost-error.js';
import { createOpenAICompatibleEngine } from './openai-compatible.js';
import { vllmServeArgs } from './vllm-args.js';
import { createVllmProcess, type VllmProcess } from './vllm-process.js';
import { toolFields } from './upstream-request.js';

export interface VllmEngineOptions {
  modelId: string;
  /** The Hugging Face id or path `vllm serve` loads (spawn mode). */
  source: string;
  options: VllmOptions;
  /** The GPUs the worker is pinned to: CUDA_VISIBLE_DEVICES of the spawned server. */
  gpus: string[];
  logger: Logger;
  /** The executable (VLLM_BIN). */
  bin: string;
  /** Environment of the spawned server, before CUDA_VISIBLE_DEVICES is set. */
  env: NodeJS.ProcessEnv;
  startupTimeoutMs: number;
  restartBackoffMs: number;
  /** How often GPU memory and vLLM's metrics are polled. */
  statsIntervalMs?: number;
  /** Where the spawned server's pid is noted (SPOOL_DATA_DIR), so a later start can end one left behind. */
  dataDir?: string;
}

/** The context length vLLM reports for a served model (`max_model_len` in /v1/models). */
async function servedContextLength(baseUrl: string, modelId: string, apiKey?: string): Promise<number | undefined> {
  const response = await fetch(`${baseUrl}/v1/models`, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(5000) });
  if (!response.ok) return undefined;
  const body = (await response.json()) as { data?: { id: string; max_model_len?: number }[] };
  return body.data?.find((model) => model.id === modelId)?.max_model_len ?? body.data?.[0]?.max_model_len;
}

/**
 * vLLM through its OpenAI server. Spawn mode runs `vllm serve` on the worker's GPUs (tensor
 * parallel over all of them) and supervises it; attach mode (`options.url`) talks to a running one.
 */
export function createVllmEngine(options: VllmEngineOptions): Engine {
  const { options: vllm } = options;
  const logger = options.logger.child({ engine: 'vllm', model: options.modelId });
  const info: ModelInfo = {
    id: options.modelId,
    contextLength: vllm.maxModelLen ?? 4096,
    slots: vllm.maxNumSeqs * vllm.dataParallelSize,
    engine: 'vllm',
    tokenCapacity: vllm.kvCacheTokens,
  };
  // The key goes in the child's environment, never on its command line (ps, vLLM's args log, ours).
  const serverEnv: NodeJS.ProcessEnv = { ...options.env, CUDA_DEVICE_ORDER: 'PCI_BUS_ID', ...(vllm.apiKey ? { VLLM_API_KEY: vllm.apiKey } : {}) };
  const pinned = options.gpus.length > 0 ? options.gpus.join('-') : `model-${options.modelId.replace(/[^\w.-]/g, '_')}`;
  let server: VllmProcess | undefined;
  if (!vllm.url) {
    server = createVllmProcess({
      bin: options.bin,
      args: (port) => vllmServeArgs(vllm, { source: options.source, servedModelName: options.modelId, gpus: options.gpus, port }),
      env: serverEnv,
      logger,
      startupTimeoutMs: options.startupTimeoutMs,
      restartBackoffMs: options.restartBackoffMs,
      secrets: vllm.apiKey ? [vllm.apiKey] : [],
      pidFile: options.dataDir ? join(options.dataDir, 'run', `vllm-${pinned}.pid`) : undefined,
    });
  }
  const baseUrl = () => (server ? server.url() : vllm.url!.replace(/\/+$/, '').replace(/\/v1$/, ''));
  const monitor = createGpuMonitor({
    gpus: options.gpus,
    intervalMs: options.statsIntervalMs ?? 5000,
    metricsUrl: () => `${baseUrl()}/metrics`,
    env: options.env,
  });
  const authorization: Record<string, string> = vllm.apiKey ? { authorization: `Bearer ${vllm.apiKey}` } : {};

  async function tokenize(request: GenerationRequest): Promise<number | undefined> {
    // Tools are rendered into the prompt by the chat template, so they are counted with it.
    const body =
      request.kind === 'chat'
        ? { model: options.modelId, messages: request.messages, ...toolFields(request) }
        : { model: options.modelId, prompt: request.prompt };
    const response = await fetch(`${baseUrl()}/tokenize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authorization },
      body: JSON.stringify(body),
    }).catch(() => undefined);
    if (!response?.ok) return undefined;
    return ((await response.json()) as { count?: number }).count;
  }

  return createOpenAICompatibleEngine({
    info,
    baseURL: () => `${baseUrl()}/v1`,
    apiKey: vllm.apiKey,
    upstreamModel: options.modelId,
    // A spawned server has priority scheduling unless told otherwise; an attached one only when said.
    priority: (vllm.schedulingPolicy ?? (server ? 'priority' : 'fcfs')) === 'priority',
    whenReady: server
      ? (signal) =>
          server.whenReady(signal, options.startupTimeoutMs).catch((error: unknown) => {
            throw signal.aborted ? signal.reason : new EngineLostError((error as Error).message);
          })
      : undefined,
    countPromptTokens: tokenize,
    healthy: server ? () => server.healthy() : undefined,
    async start() {
      if (server && options.gpus.length > 0) serverEnv.CUDA_VISIBLE_DEVICES = (await gpuIndices(options.gpus, undefined, options.env)).join(',');
      await server?.start();
      if (vllm.maxModelLen === undefined)
        info.contextLength = (await servedContextLength(baseUrl(), options.modelId, vllm.apiKey).catch(() => undefined)) ?? info.contextLength;
      await monitor.poll();
      // What the KV cache holds decides how many sequences really run at once (see the worker's token budget).
      info.tokenCapacity = vllm.kvCacheTokens ?? monitor.vllm().kvCacheTokens;
      logger.info(
        { url: baseUrl(), contextLength: info.contextLength, slots: info.slots, kvCacheTokens: info.tokenCapacity, gpus: options.gpus },
        'vllm engine ready',
      );
    },
    stats() {
      const gpus = monitor.gpus();
      const kvCacheUsage = monitor.vllm().kvCacheUsage;
      return gpus && gpus.length > 0 ? { memoryBytes: usedBytes(gpus), memoryKind: 'vram' as const, gpus, kvCacheUsage } : { kvCacheUsage };
    },
    async stop() {
      monitor.stop();
      await server?.stop();
    },
  });
}
