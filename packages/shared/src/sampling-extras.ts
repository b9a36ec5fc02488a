import type { EngineName } from './models.js';

/** Request fields beyond OpenAI's core sampling that only some engines honour. */
export const SAMPLING_EXTRAS = ['top_k', 'min_p', 'repetition_penalty', 'logit_bias', 'logprobs', 'top_logprobs'] as const;
export type SamplingExtra = (typeof SAMPLING_EXTRAS)[number];

/**
 * Which engine honours which extra. vLLM takes them all; an OpenAI-compatible upstream is sent only
 * OpenAI's own (others may be refused or silently dropped there); the llama.cpp engine logprobs.
 * A request that sets one its model's engine does not honour is answered 400, never half-served.
 */
export const HONOURED_EXTRAS: Record<EngineName, readonly SamplingExtra[]> = {
  vllm: SAMPLING_EXTRAS,
  openai: ['logit_bias', 'logprobs', 'top_logprobs'],
  // The llama.cpp engine reads log probabilities from its sampler (see llamacpp-logprobs.ts).
  llamacpp: ['logprobs', 'top_logprobs'],
};

/** The first extra `body` sets (not null, not false) that `engine` does not honour. */
export function unhonouredExtra(engine: EngineName, body: Record<string, unknown>): SamplingExtra | undefined {
  return SAMPLING_EXTRAS.find((field) => body[field] != null && body[field] !== false && !HONOURED_EXTRAS[engine].includes(field));
}
