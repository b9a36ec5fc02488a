import type { GenerationRequest } from './engine.js';

/**
 * A cheap upper bound of a text's tokens (about 3 characters a token, plus a few for the template),
 * for where no tokenizer is at hand: the API reserves queue capacity with it before a worker counts.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3) + 8;
}

/** `estimateTokens` of a generation's prompt (a chat's messages as JSON). */
export function estimatePromptTokens(request: GenerationRequest): number {
  return estimateTokens(request.kind === 'chat' ? JSON.stringify(request.messages ?? []) : (request.prompt ?? ''));
}
