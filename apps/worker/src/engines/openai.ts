import type { Engine, OpenAIOptions } from '@spool/shared';
import { createOpenAICompatibleEngine } from './openai-compatible.js';

export interface OpenAIEngineOptions {
  modelId: string;
  /** The model name the upstream knows. */
  upstreamModel: string;
  options: OpenAIOptions;
}

/**
 * Any OpenAI-compatible upstream (SGLang, TGI, llama-server, a remote vLLM, another Spool) by URL
 * and key. The same mechanism as vLLM's attach mode, without vLLM's extensions.
 */
export function createOpenAIEngine({ modelId, upstreamModel, options }: OpenAIEngineOptions): Engine {
  const baseURL = options.url.replace(/\/+$/, '');
  return createOpenAICompatibleEngine({
    info: { id: modelId, contextLength: options.contextLength, slots: options.slots, engine: 'openai' },
    baseURL: () => baseURL,
    apiKey: options.apiKey,
    headers: options.headers,
    upstreamModel,
  });
}
