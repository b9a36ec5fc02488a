import type { FinishReason, GenerationRequest } from '@spool/shared';

/**
 * Spool's request fields beyond the core ones, as `[field on GenerationRequest, field in the upstream
 * body]`. Function calling adds `tools` and friends to GenerationRequest; whichever spelling it
 * uses, listing it here is all an upstream adapter needs.
 */
const PASS_THROUGH: [string, string][] = [
  ['tools', 'tools'],
  ['toolChoice', 'tool_choice'],
  ['tool_choice', 'tool_choice'],
  ['parallelToolCalls', 'parallel_tool_calls'],
  ['parallel_tool_calls', 'parallel_tool_calls'],
  ['responseFormat', 'response_format'],
  ['response_format', 'response_format'],
  ['logitBias', 'logit_bias'],
  ['topK', 'top_k'],
  ['minP', 'min_p'],
];

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
    temperature: request.temperature,
    top_p: request.topP,
    stream: true,
    // vLLM (and OpenAI) send usage in a last chunk only when asked.
    stream_options: { include_usage: true },
  };
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.stop.length > 0) body.stop = request.stop;
  if (request.presencePenalty) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty) body.frequency_penalty = request.frequencyPenalty;
  if (options.priority && request.priority !== undefined) body.priority = request.priority;
  const fields = request as unknown as Record<string, unknown>;
  for (const [from, to] of PASS_THROUGH) if (fields[from] !== undefined && fields[from] !== null) body[to] = fields[from];
  return body;
}

/** An upstream's finish reason in Spool's terms (vLLM says `abort` for requests it dropped). */
export function finishReasonOf(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'length':
    case 'tool_calls':
    case 'content_filter':
      return reason;
    case 'function_call':
      return 'tool_calls';
    default:
      return 'stop';
  }
}
