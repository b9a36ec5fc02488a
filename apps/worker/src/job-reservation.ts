import { estimatePromptTokens, type GenerationRequest } from '@spool/shared';

/**
 * Tokens a job is expected to hold in the engine's KV cache: each input's prompt plus its
 * `max_tokens`, or, where it set none, the expected output length (WORKER_EXPECTED_OUTPUT_TOKENS),
 * each capped by the context. Reserving the whole context for a request without `max_tokens`
 * would let a 64-sequence vLLM run one or two of them; vLLM itself grows a sequence's KV blocks
 * as it decodes, so the expected length is what it will really use.
 */
export function expectedJobTokens(inputs: GenerationRequest[], contextLength: number, expectedOutputTokens: number): number {
  let tokens = 0;
  for (const input of inputs) {
    const prompt = Math.min(estimatePromptTokens(input), contextLength);
    tokens += Math.min(prompt + (input.maxTokens ?? expectedOutputTokens), contextLength);
  }
  return tokens;
}
