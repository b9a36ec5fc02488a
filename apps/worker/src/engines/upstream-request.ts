import type { FinishReason, GenerationRequest } from '@spool/shared';

/** Spool's engine-neutral tool fields in the OpenAI wire shape every upstream speaks. */
export function toolFields(request: GenerationRequest): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (request.tools && request.tools.length > 0) {
    fields.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.parameters },
    }));
  }
  if (request.toolChoice !== undefined) {
    fields.tool_choice = typeof request.toolChoice === 'string' ? request.toolChoice : { type: 'function', function: { name: request.toolChoice.name } };
  }
  if (request.parallelToolCalls !== undefined) fields.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat) {
    const format = request.responseFormat;
    fields.response_format =
      format.type === 'json_schema'
        ? { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, strict: true } }
        : { type: 'json_object' };
  }
  return fields;
}

export interface UpstreamBodyOptions {
  model: string;
  /** Send `priority` (only servers started with priority scheduling accept it). */
  priority: boolean;
}

/** The body of an OpenAI-style streamed request for one generation. */
export function upstreamBody(request: GenerationRequest, options: UpstreamBodyOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: options.model,
    ...(request.kind === 'chat' ? { messages: request.messages ?? [] } : { prompt: request.prompt ?? '' }),
    stream: true,
    // vLLM (and OpenAI) send usage in a last chunk only when asked.
    stream_options: { include_usage: true },
  };
  // Only what the client set: vLLM applies the model's generation_config to what is left out.
  const sampling: Record<string, unknown> = {
    temperature: request.temperature,
    top_p: request.topP,
    top_k: request.topK,
    min_p: request.minP,
    repetition_penalty: request.repetitionPenalty,
    logit_bias: request.logitBias,
    // Legacy completions take `logprobs` as the number of alternatives; chat takes a flag and `top_logprobs`.
    logprobs: request.kind === 'completion' && request.logprobs ? (request.topLogprobs ?? 0) : request.logprobs,
    top_logprobs: request.kind === 'completion' ? undefined : request.topLogprobs,
  };
  for (const [field, value] of Object.entries(sampling)) if (value !== undefined) body[field] = value;
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.stop.length > 0) body.stop = request.stop;
  if (request.presencePenalty) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty) body.frequency_penalty = request.frequencyPenalty;
  if (options.priority && request.priority !== undefined) body.priority = request.priority;
  return { ...body, ...toolFields(request) };
}

/**
 * An upstream's finish reason in Spool's terms: the legacy `function_call` is `tool_calls`; any
 * other reason passes through as itself (`abort` and `error` never get here: see finishFailure).
 */
export function finishReasonOf(reason: string): FinishReason {
  return reason === 'function_call' ? 'tool_calls' : reason;
}
