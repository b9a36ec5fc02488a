import { estimateTokens } from '@spool/shared';

/** OpenAI's (and vLLM's) default `max_tokens` of a legacy completion. */
const LEGACY_DEFAULT_MAX_TOKENS = 16;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((part) => (typeof (part as { text?: unknown })?.text === 'string' ? (part as { text: string }).text : '')).join('');
  return '';
}

const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined);

/**
 * Tokens a generation request may use at most: prompt estimate + max tokens, for every choice,
 * each capped at the context length. 0 for a body that names no prompt (nothing to reserve); the
 * body is still unvalidated here, so every field is read defensively.
 */
export function reservedTokens(body: unknown, contextLength: number): number {
  if (!body || typeof body !== 'object') return 0;
  const request = body as Record<string, unknown>;
  const n = Math.min(count(request.n) ?? 1, 128);
  const perChoice = (prompt: string, maxTokens: number) => Math.min(estimateTokens(prompt) + maxTokens, contextLength);
  if (Array.isArray(request.messages)) {
    const prompt = request.messages.map((message) => textOf((message as { content?: unknown })?.content)).join('\n');
    return n * perChoice(prompt, count(request.max_completion_tokens) ?? count(request.max_tokens) ?? contextLength);
  }
  if (typeof request.input === 'string' || Array.isArray(request.input)) {
    // A Responses API body (an earlier turn named by previous_response_id is not counted here).
    const items =
      typeof request.input === 'string'
        ? [request.input]
        : request.input.map((item) => textOf((item as { content?: unknown })?.content ?? (item as { output?: unknown })?.output));
    const prompt = [typeof request.instructions === 'string' ? request.instructions : '', ...items].join('\n');
    return perChoice(prompt, count(request.max_output_tokens) ?? contextLength);
  }
  const prompts = typeof request.prompt === 'string' ? [request.prompt] : Array.isArray(request.prompt) ? request.prompt.map(textOf) : undefined;
  if (!prompts) return 0;
  const maxTokens = count(request.max_tokens) ?? LEGACY_DEFAULT_MAX_TOKENS;
  return n * prompts.reduce((sum, prompt) => sum + perChoice(prompt, maxTokens), 0);
}
