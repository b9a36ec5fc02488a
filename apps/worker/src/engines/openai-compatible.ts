import OpenAI, { APIUserAbortError } from 'openai';
import { estimatePromptTokens, type Engine, type EngineStats, type GenerationEvent, type GenerationRequest, type ModelInfo } from '@spool/shared';
import { EngineLostError } from './engine-lost-error.js';
import { createSlots } from './slots.js';
import { logprobsOfChunk, type UpstreamLogprobs } from './upstream-logprobs.js';
import { finishReasonOf, upstreamBody } from './upstream-request.js';
import { finishFailure, translateUpstreamError as translateError } from './upstream-errors.js';

export interface OpenAICompatibleOptions {
  info: ModelInfo;
  /** Base URL with the version path (`http://127.0.0.1:8000/v1`); read per request, as a respawned server may move. */
  baseURL: () => string;
  apiKey?: string;
  headers?: Record<string, string>;
  /** The model name the upstream serves. */
  upstreamModel: string;
  /** Whether the upstream takes a `priority` field (vLLM with `--scheduling-policy priority`). */
  priority?: boolean;
  /** Resolves when the upstream can take requests (a restarting vLLM); throws when it cannot. */
  whenReady?: (signal: AbortSignal) => Promise<void>;
  countPromptTokens?: (request: GenerationRequest) => Promise<number | undefined>;
  stats?: () => Partial<EngineStats>;
  healthy?: () => boolean;
  start?: () => Promise<void>;
  stop?: () => Promise<void>;
}

/**
 * fetch for the SDK that gives error bodies OpenAI's `{error: {...}}` shape: older vLLM answers
 * `{object: "error", message, ...}` flat, which the SDK would report as "(no body)".
 */
async function normalizingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  if (response.ok || !response.headers.get('content-type')?.includes('json')) return response;
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  const wrapped = body && typeof body === 'object' && !('error' in body) ? { error: body } : body;
  return new Response(JSON.stringify(wrapped ?? {}), { status: response.status, statusText: response.statusText, headers: response.headers });
}

type Delta = { content?: string | null; tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] };
type Choice = { index: number; text?: string; delta?: Delta; finish_reason?: string | null; logprobs?: UpstreamLogprobs };
type Chunk = { choices?: Choice[]; usage?: { prompt_tokens: number; completion_tokens: number } | null };

/**
 * One engine for every OpenAI-compatible HTTP server: vLLM (spawned or attached) and any other
 * upstream. Streams each generation, maps chunks to events, keeps at most `info.slots` requests in
 * flight, and aborts the upstream request when the job's signal fires or the consumer stops reading.
 */
export function createOpenAICompatibleEngine(options: OpenAICompatibleOptions): Engine {
  const clients = new Map<string, OpenAI>();
  const slots = createSlots(options.info.slots);
  let generatedTokens = 0;

  const clientFor = (baseURL: string) => {
    let client = clients.get(baseURL);
    if (!client) {
      client = new OpenAI({
        baseURL,
        apiKey: options.apiKey ?? 'none',
        defaultHeaders: options.headers,
        fetch: normalizingFetch,
        maxRetries: 0,
        timeout: 24 * 3600_000,
      });
      clients.set(baseURL, client);
    }
    return client;
  };

  /** The upstream's own tokenizer (vLLM's /tokenize) where it has one, else the estimate. */
  async function countPromptTokens(request: GenerationRequest): Promise<number> {
    return (await options.countPromptTokens?.(request)) ?? estimatePromptTokens(request);
  }

  async function* generate(request: GenerationRequest, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const release = await slots.acquire(signal);
    const upstream = new AbortController();
    const onAbort = () => upstream.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await options.whenReady?.(upstream.signal);
      const client = clientFor(options.baseURL());
      const body = upstreamBody(request, { model: options.upstreamModel, priority: options.priority ?? false });
      const path = request.kind === 'chat' ? '/chat/completions' : '/completions';
      let stream: AsyncIterable<Chunk>;
      try {
        stream = (await client.post(path, { body, stream: true, signal: upstream.signal })) as unknown as AsyncIterable<Chunk>;
      } catch (error) {
        throw signal.aborted ? signal.reason : translateError(error);
      }
      let finishReason: string | undefined;
      let usage: Chunk['usage'];
      let chunks = 0;
      try {
        for await (const chunk of stream) {
          if (chunk.usage) usage = chunk.usage;
          for (const choice of chunk.choices ?? []) {
            const text = choice.text ?? choice.delta?.content;
            if (text) {
              chunks += 1;
              const logprobs = logprobsOfChunk(choice.logprobs);
              yield { type: 'text-delta', text, ...(logprobs ? { logprobs } : {}) };
            }
            for (const call of choice.delta?.tool_calls ?? []) {
              chunks += 1;
              yield { type: 'tool-call-delta', index: call.index, id: call.id, name: call.function?.name, arguments: call.function?.arguments ?? '' };
            }
            if (choice.finish_reason) finishReason = choice.finish_reason;
          }
        }
      } catch (error) {
        if (signal.aborted || error instanceof APIUserAbortError) throw signal.reason ?? error;
        throw translateError(error);
      }
      // The SDK ends the iteration quietly when its request is aborted.
      if (signal.aborted) throw signal.reason;
      if (finishReason === undefined) throw new EngineLostError('The upstream stream ended without a finish reason.');
      const failure = finishFailure(finishReason);
      if (failure) throw failure;
      // Servers that ignore stream_options send no usage: count the prompt with the upstream's tokenizer
      // (or estimate it), and a token per chunk, as vLLM streams them.
      const promptTokens = usage?.prompt_tokens ?? (await countPromptTokens(request).catch(() => estimatePromptTokens(request)));
      const completionTokens = usage?.completion_tokens ?? chunks;
      generatedTokens += completionTokens;
      yield {
        type: 'end',
        finishReason: finishReasonOf(finishReason),
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      };
    } finally {
      // Runs on completion, error, cancel and a consumer's `break`: the upstream stops generating.
      signal.removeEventListener('abort', onAbort);
      upstream.abort();
      release();
    }
  }

  return {
    model: options.info,
    start: async () => options.start?.(),
    generate,
    countPromptTokens,
    // Only models the models file declares as embedding models get embeddings jobs (the API checks).
    async embed(request, signal) {
      const release = await slots.acquire(signal);
      try {
        await options.whenReady?.(signal);
        const input = request.inputs as string[] | number[][];
        const dimensions = request.dimensions === undefined ? {} : { dimensions: request.dimensions };
        const answer = await clientFor(options.baseURL()).embeddings.create(
          { model: options.upstreamModel, input, encoding_format: 'float', ...dimensions },
          { signal },
        );
        return { vectors: [...answer.data].sort((a, b) => a.index - b.index).map((item) => item.embedding), promptTokens: answer.usage.prompt_tokens };
      } catch (error) {
        throw signal.aborted ? signal.reason : translateError(error);
      } finally {
        release();
      }
    },
    stats(): EngineStats {
      return { busySlots: slots.busy(), memoryBytes: process.memoryUsage().rss, memoryKind: 'ram', generatedTokens, ...options.stats?.() };
    },
    ...(options.healthy ? { healthy: options.healthy } : {}),
    stop: async () => options.stop?.(),
  };
}
