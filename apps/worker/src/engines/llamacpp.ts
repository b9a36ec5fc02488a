import { randomInt } from 'node:crypto';
import {
  getLlama,
  LlamaLogLevel,
  LlamaCompletion,
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
  LlamaText,
} from 'node-llama-cpp';
import {
  ContextLengthError,
  createAsyncQueue,
  isBatchPriority,
  type Engine,
  type EngineStats,
  type FinishReason,
  type GenerationEvent,
  type GenerationRequest,
  type ModelInfo,
  type ResponseFormatSpec,
  type TokenLogprob,
  type ToolSpec,
} from '@spool/shared';
import { createGpuMonitor, usedBytes, type GpuMonitor } from './gpu/gpu-monitor.js';
import { renderChat } from './chat-prompt.js';
import { callSyntaxOf, createGrammarCache, forcedCallNote, isCallTrigger, newToolCallId, toolModeOf, type CallSyntax } from './llamacpp-tools.js';
import { evaluationPriorityOf, interactiveFirst } from './interactive-first.js';
import { createStopMatcher } from './stop-matcher.js';
import { createLlamaCppEmbedder } from './llamacpp-embeddings.js';
import { createLogprobRecorder } from './llamacpp-logprobs.js';

/** `json_object` is any object; `json_schema` its schema. */
const formatSchema = (format: ResponseFormatSpec) => (format.type === 'json_schema' ? format.schema : { type: 'object' });

export interface LlamaCppEngineOptions {
  modelId: string;
  modelPath: string;
  /** CPU threads; on small models 1 beats more (thread spin costs more than it brings). */
  threads: number;
  /** Tokens per sequence. */
  contextSize: number;
  /** Sequences of the main context, decoded together in each batch. */
  slots: number;
  /**
   * Sequences of a second, small context for work above batch priority while batch lines hold the
   * main one (0: none). Its decodes run beside the main context's, on their own thread, so an
   * interactive prompt neither waits for a step of batch lines nor takes steps away from them.
   */
  prioritySlots?: number;
  batchSize: number;
  /** `false` for CPU; 'auto' lets node-llama-cpp pick CUDA/Vulkan/Metal where found, or one backend. */
  gpu?: false | 'auto' | 'cuda' | 'vulkan' | 'metal';
  /** Layers offloaded to the GPU where one is used. */
  gpuLayers?: number | 'auto' | 'max';
  /** The worker's GPUs (the process's CUDA_VISIBLE_DEVICES pins them); their memory goes into stats. */
  gpus?: string[];
}

type Prompt = { input: LlamaText | string; stops: (LlamaText | string)[]; tokens: number };

/** The sequences of one context: reused, never disposed while the engine runs. */
interface SequencePool {
  context: LlamaContext;
  /** Sequences kept for reuse, their memory cleared. */
  free: LlamaContextSequence[];
  waiting: ((sequence: LlamaContextSequence) => void)[];
  busy: number;
  /** Of `busy`, how many run batch lines. */
  batchBusy: number;
}

function createPool(context: LlamaContext): SequencePool {
  return { context, free: [], waiting: [], busy: 0, batchBusy: 0 };
}

const hasRoom = (pool: SequencePool) => pool.free.length > 0 || pool.context.sequencesLeft > 0;

async function acquireSequence(pool: SequencePool, batch: boolean): Promise<LlamaContextSequence> {
  pool.busy += 1;
  if (batch) pool.batchBusy += 1;
  const reused = pool.free.pop();
  if (reused) return reused;
  if (pool.context.sequencesLeft > 0) return pool.context.getSequence();
  return new Promise((resolve) => pool.waiting.push(resolve));
}

/**
 * Keeps the sequence for the next generation instead of disposing it: a disposed sequence's id
 * came back to node-llama-cpp late, so under steady load `getSequence` ran out while most slots
 * were idle and new requests waited seconds for their first token.
 */
function releaseSequence(pool: SequencePool, sequence: LlamaContextSequence, batch: boolean): void {
  pool.busy -= 1;
  if (batch) pool.batchBusy -= 1;
  void sequence.clearHistory().then(
    () => {
      const next = pool.waiting.shift();
      if (next) next(sequence);
      else pool.free.push(sequence);
    },
    () => sequence.dispose(),
  );
}

/** What the engine reports about itself, from its options alone (the threaded proxy needs it before start). */
export function llamaCppModelInfo(options: LlamaCppEngineOptions): ModelInfo {
  const prioritySlots = options.prioritySlots ?? 0;
  return {
    id: options.modelId,
    contextLength: options.contextSize,
    slots: options.slots + prioritySlots,
    ...(prioritySlots > 0 ? { batchSlots: options.slots } : {}),
    engine: 'llamacpp',
  };
}

/** The embedded engine: node-llama-cpp, one context whose sequences are batched together (and a priority lane). */
export function createLlamaCppEngine(options: LlamaCppEngineOptions): Engine {
  let llama: Llama | undefined;
  let model: LlamaModel | undefined;
  let main: SequencePool | undefined;
  let lane: SequencePool | undefined;
  let chatWrapper: ChatWrapper | undefined;
  let syntax: CallSyntax | undefined;
  let gpuMonitor: GpuMonitor | undefined;
  const embedder = createLlamaCppEmbedder(() => model!, { contextSize: options.contextSize, threads: options.threads, batchSize: options.batchSize });
  const grammars = createGrammarCache(() => llama!);
  let generatedTokens = 0;
  const prioritySlots = options.prioritySlots ?? 0;

  const info = llamaCppModelInfo(options);

  /**
   * Batch lines always run in the main context. Other work goes to the priority lane while batch
   * lines hold the main context (or it is full) and the lane has room; otherwise to the main
   * context, where its decodes share steps with the rest.
   */
  const poolFor = (batch: boolean): SequencePool => (!batch && lane && (main!.batchBusy > 0 || !hasRoom(main!)) && hasRoom(lane) ? lane : main!);

  function preparePrompt(request: GenerationRequest): Prompt {
    if (request.kind === 'chat') {
      const mode = toolModeOf(request);
      // `auto` offers the tools through the template's own function docs and call syntax. A forced
      // call needs no instructions on how to call (the grammar writes the syntax): a short note of
      // what to call keeps the prompt small.
      const messages = mode.kind === 'forced' ? [forcedCallNote(mode.candidates), ...(request.messages ?? [])] : (request.messages ?? []);
      const { text, stops } = renderChat(chatWrapper!, messages, mode.kind === 'auto' ? mode.tools : []);
      return { input: text, stops, tokens: text.tokenize(model!.tokenizer).length };
    }
    const prompt = request.prompt ?? '';
    return { input: prompt, stops: [], tokens: model!.tokenize(prompt, true).length + 1 };
  }

  function completionBudget(request: GenerationRequest, promptTokens: number): number {
    const left = info.contextLength - promptTokens;
    if (left < 1 || (request.maxTokens !== undefined && request.maxTokens > left)) {
      const asked = request.maxTokens === undefined ? '' : ` and ${request.maxTokens} in the completion`;
      throw new ContextLengthError(
        `This model's maximum context length is ${info.contextLength} tokens. However, you requested ` +
          `${promptTokens + (request.maxTokens ?? 0)} tokens (${promptTokens} in the messages${asked}). ` +
          'Please reduce the length of the messages or completion.',
      );
    }
    return request.maxTokens ?? left;
  }

  async function* generate(request: GenerationRequest, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const prompt = preparePrompt(request);
    const maxTokens = completionBudget(request, prompt.tokens);
    const mode = toolModeOf(request);
    // Build grammars before taking a slot: a bad schema fails here, with nothing decoded.
    const textGrammar = request.responseFormat && mode.kind !== 'forced' ? await grammars.forSchema(formatSchema(request.responseFormat)) : undefined;
    const batch = isBatchPriority(request.priority);
    const pool = poolFor(batch);
    const sequence = await acquireSequence(pool, batch);
    const events = createAsyncQueue<GenerationEvent>();
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let completionTokens = 0;
    // Tokens decoded since the last event: each event says how many it holds (an abandoned stream's log counts them).
    let unreported = 0;
    const taken = () => {
      const tokens = unreported;
      unreported = 0;
      return tokens;
    };
    // Without a seed every choice must still differ: node-llama-cpp would reuse one default.
    const seed = request.seed ?? randomInt(2 ** 31);
    const recorder = request.logprobs ? createLogprobRecorder(sequence, model!, request.topLogprobs ?? 0) : undefined;
    let unreportedLogprobs: TokenLogprob[] = [];
    const takenLogprobs = () => {
      if (!recorder) return {};
      const logprobs = unreportedLogprobs;
      unreportedLogprobs = [];
      return { logprobs };
    };
    const completion = new LlamaCompletion({ contextSequence: recorder?.sequence ?? sequence });

    /** One decoding pass that continues `input`, within what is left of the token budget. */
    const decode = async (input: LlamaText | string, options: { grammar?: LlamaGrammar; stops?: (LlamaText | string)[]; onText?: (text: string) => void }) => {
      const { response, metadata } = await completion.generateCompletionWithMeta(input, {
        maxTokens: maxTokens - completionTokens,
        // OpenAI's defaults where the client set none (node-llama-cpp's own temperature is 0, greedy).
        temperature: request.temperature ?? 1,
        topP: request.topP ?? 1,
        seed,
        evaluationPriority: evaluationPriorityOf(request.priority),
        signal: stop.signal,
        stopOnAbortSignal: true,
        grammar: options.grammar,
        customStopTriggers: options.stops ?? [],
        repeatPenalty:
          request.presencePenalty || request.frequencyPenalty
            ? { presencePenalty: request.presencePenalty, frequencyPenalty: request.frequencyPenalty }
            : false,
        onToken: (tokens) => {
          completionTokens += tokens.length;
          unreported += tokens.length;
          if (recorder) unreportedLogprobs.push(...recorder.take(tokens));
        },
        onTextChunk: options.onText,
      });
      const trigger = metadata.stopReason === 'customStopTrigger' ? metadata.customStopTrigger : undefined;
      return { text: response, stopReason: metadata.stopReason, trigger };
    };

    /** Decodes a call of one of `candidates` after `input`: its name, then its arguments under their schema. */
    const decodeCall = async (input: LlamaText, candidates: ToolSpec[]): Promise<FinishReason> => {
      let text = LlamaText([input, syntax!.head]);
      let tool = candidates[0]!;
      if (candidates.length > 1) {
        const named = await decode(text, { grammar: await grammars.forChoice(candidates.map((candidate) => candidate.name)) });
        const found = candidates.find((candidate) => candidate.name === named.text);
        if (!found) return 'length';
        tool = found;
      }
      const argumentsGrammar = await grammars.forSchema(tool.parameters);
      text = LlamaText([text, tool.name, syntax!.beforeArguments]);
      events.push({ type: 'tool-call-delta', index: 0, id: newToolCallId(), name: tool.name, arguments: '', tokens: taken() });
      const call = await decode(text, {
        grammar: argumentsGrammar,
        onText: (piece) => events.push({ type: 'tool-call-delta', index: 0, arguments: piece, tokens: taken() }),
      });
      return call.stopReason === 'maxTokens' ? 'length' : 'tool_calls';
    };

    const work = async (): Promise<FinishReason> => {
      if (mode.kind === 'forced') return decodeCall(prompt.input as LlamaText, mode.candidates);
      const callTriggers = mode.kind === 'auto' ? syntax!.triggers : [];
      // The client's stop sequences are matched on the decoded text here (why: stop-matcher.ts).
      const stopMatcher = createStopMatcher(request.stop);
      let stoppedBySequence = false;
      const answer = await decode(prompt.input, {
        grammar: textGrammar,
        stops: [...prompt.stops, ...callTriggers],
        onText: (chunk) => {
          if (stoppedBySequence) return;
          const { text, stopped } = stopMatcher.push(chunk);
          if (text) events.push({ type: 'text-delta', text, tokens: taken(), ...takenLogprobs() });
          if (stopped) {
            stoppedBySequence = true;
            stop.abort();
          }
        },
      });
      if (stoppedBySequence) return 'stop';
      const rest = stopMatcher.flush();
      if (rest) events.push({ type: 'text-delta', text: rest, tokens: taken(), ...takenLogprobs() });
      if (mode.kind === 'auto' && isCallTrigger(syntax!, answer.trigger)) {
        return decodeCall(LlamaText([prompt.input, answer.text]), mode.tools);
      }
      return answer.stopReason === 'maxTokens' ? 'length' : 'stop';
    };

    const run = work().then(
      (finishReason) => {
        generatedTokens += completionTokens;
        events.push({
          type: 'end',
          finishReason,
          usage: { prompt_tokens: prompt.tokens, completion_tokens: completionTokens, total_tokens: prompt.tokens + completionTokens },
        });
        events.close();
      },
      (error: unknown) => events.close(error),
    );
    try {
      yield* events;
    } finally {
      // Runs on completion, error, abort and a consumer's `break`: stop decoding, free the slot.
      stop.abort();
      signal.removeEventListener('abort', onAbort);
      await run;
      completion.dispose({ disposeSequence: false });
      releaseSequence(pool, sequence, batch);
    }
  }

  return {
    model: info,
    async start() {
      llama = await getLlama({ gpu: options.gpu ?? false, logLevel: LlamaLogLevel.error });
      model = await llama.loadModel({ modelPath: options.modelPath, ...(llama.gpu ? { gpuLayers: options.gpuLayers ?? 'auto' } : {}) });
      if (llama.gpu === 'cuda') {
        gpuMonitor = createGpuMonitor({ gpus: options.gpus ?? [], intervalMs: 5000 });
        await gpuMonitor.poll();
      }
      const contextOptions = {
        contextSize: options.contextSize,
        threads: options.threads,
        batchSize: options.batchSize,
        batching: { itemPrioritizationStrategy: interactiveFirst },
      };
      main = createPool(await model.createContext({ ...contextOptions, sequences: options.slots }));
      if (prioritySlots > 0) lane = createPool(await model.createContext({ ...contextOptions, sequences: prioritySlots }));
      chatWrapper = resolveChatWrapper(model);
      syntax = callSyntaxOf(chatWrapper);
    },
    generate,
    embed: (request, signal) => embedder.embed(request, signal),
    async countPromptTokens(request) {
      return preparePrompt(request).tokens;
    },
    stats(): EngineStats {
      const busySlots = (main?.busy ?? 0) + (lane?.busy ?? 0);
      const gpus = gpuMonitor?.gpus();
      if (gpus && gpus.length > 0) return { busySlots, memoryBytes: usedBytes(gpus), memoryKind: 'vram', generatedTokens, gpus };
      return { busySlots, memoryBytes: process.memoryUsage().rss, memoryKind: 'ram', generatedTokens };
    },
    async stop() {
      gpuMonitor?.stop();
      await embedder.dispose();
      for (const pool of [lane, main]) {
        pool?.free.splice(0).forEach((sequence) => sequence.dispose());
        await pool?.context.dispose();
      }
      await model?.dispose();
      await llama?.dispose();
    },
  };
}
