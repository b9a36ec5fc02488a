import {
  ContextLengthError,
  contentText,
  InvalidRequestError,
  estimateTokens,
  generationToolFields,
  type ChatCompletionRequest,
  type CompletionRequest,
  type GenerationJob,
  type GenerationRequest,
} from '@spool/shared';

/**
 * Sampling as the client set it: a missing temperature or top_p stays missing, so each engine
 * applies its default (OpenAI's 1; vLLM the model's generation_config), never 0.
 */
function sampling(body: ChatCompletionRequest | CompletionRequest, maxTokens: number | null | undefined, choiceIndex: number) {
  return {
    maxTokens: maxTokens ?? undefined,
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { topP: body.top_p } : {}),
    ...(body.top_k != null ? { topK: body.top_k } : {}),
    ...(body.min_p != null ? { minP: body.min_p } : {}),
    ...(body.repetition_penalty != null ? { repetitionPenalty: body.repetition_penalty } : {}),
    ...(body.logit_bias != null ? { logitBias: body.logit_bias } : {}),
    // Choices of one request differ only by their seed; a given seed keeps every choice reproducible.
    seed: body.seed == null ? undefined : body.seed + choiceIndex,
    stop: body.stop,
    presencePenalty: body.presence_penalty ?? 0,
    frequencyPenalty: body.frequency_penalty ?? 0,
  };
}

function reserve(inputs: GenerationRequest[], promptText: string[], contextLength: number): number {
  let tokens = 0;
  inputs.forEach((input, index) => {
    const prompt = Math.min(estimateTokens(promptText[index] ?? ''), contextLength);
    if (input.maxTokens !== undefined && input.maxTokens > contextLength) {
      throw new ContextLengthError(
        `This model's maximum context length is ${contextLength} tokens. However, you requested ${input.maxTokens} tokens in the completion.`,
      );
    }
    tokens += Math.min(prompt + (input.maxTokens ?? contextLength), contextLength);
  });
  return tokens;
}

export interface JobTarget {
  requestId: string;
  model: string;
  contextLength: number;
  stream: boolean;
  maxQueueWaitMs: number;
}

function jobOf(target: JobTarget, inputs: GenerationRequest[], promptText: string[]): GenerationJob {
  const now = Date.now();
  return {
    requestId: target.requestId,
    model: target.model,
    inputs,
    reservedTokens: reserve(inputs, promptText, target.contextLength),
    stream: target.stream,
    enqueuedAt: now,
    deadlineAt: now + target.maxQueueWaitMs,
  };
}

export function chatJob(body: ChatCompletionRequest, target: JobTarget): GenerationJob {
  const n = body.n ?? 1;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const tools = generationToolFields(body);
  const promptText = [
    ...body.messages.map((message) => contentText(message.content) + JSON.stringify(message.role === 'assistant' ? (message.tool_calls ?? '') : '')),
    tools.tools?.length && tools.toolChoice !== 'none' ? JSON.stringify(tools.tools) : '',
  ].join('\n');
  if (body.top_logprobs != null && body.logprobs !== true) throw new InvalidRequestError("'top_logprobs' needs 'logprobs: true'.", 'top_logprobs');
  const logprobs = body.logprobs === true ? { logprobs: true, topLogprobs: body.top_logprobs ?? 0 } : {};
  const inputs = Array.from({ length: n }, (_, index): GenerationRequest => ({
    kind: 'chat',
    messages: body.messages,
    ...sampling(body, maxTokens, index),
    ...logprobs,
    ...tools,
  }));
  return jobOf(
    target,
    inputs,
    inputs.map(() => promptText),
  );
}

/** OpenAI's (and vLLM's) default for legacy completions. */
const LEGACY_DEFAULT_MAX_TOKENS = 16;

/** Legacy completions: one choice per prompt and n, ordered prompt-major as OpenAI orders them. */
export function completionJob(body: CompletionRequest, target: JobTarget): GenerationJob {
  const prompts = typeof body.prompt === 'string' ? [body.prompt] : body.prompt;
  const n = body.n ?? 1;
  // Fields no engine here carries out are refused, never dropped: the answer would not be what was asked.
  if (body.suffix)
    throw new InvalidRequestError("'suffix' is not supported: no model here fills in between a prompt and a suffix.", 'suffix', 'unsupported_parameter');
  if (body.best_of != null && body.best_of !== n) {
    throw new InvalidRequestError(
      `'best_of' is supported only equal to 'n' (${n}): picking the best of more candidates is not.`,
      'best_of',
      'unsupported_parameter',
    );
  }
  const logprobs = body.logprobs != null ? { logprobs: true, topLogprobs: body.logprobs } : {};
  const inputs: GenerationRequest[] = [];
  const promptText: string[] = [];
  prompts.forEach((prompt) => {
    for (let index = 0; index < n; index += 1) {
      inputs.push({ kind: 'completion', prompt, ...sampling(body, body.max_tokens ?? LEGACY_DEFAULT_MAX_TOKENS, index), ...logprobs });
      promptText.push(prompt);
    }
  });
  return jobOf(target, inputs, promptText);
}
