import type { TokenLogprob } from '@spool/shared';

/** A streamed choice's `logprobs` as vLLM and OpenAI send it: chat's `content` list, or the legacy completions form. */
export type UpstreamLogprobs =
  | { content?: TokenLogprob[] | null }
  | { tokens?: string[]; token_logprobs?: (number | null)[]; top_logprobs?: (Record<string, number> | null)[] }
  | null
  | undefined;

const bytesOf = (token: string) => [...Buffer.from(token, 'utf8')];

/** The entries of one chunk's logprobs in Spool's (chat's) shape; undefined when it carries none. */
export function logprobsOfChunk(logprobs: UpstreamLogprobs): TokenLogprob[] | undefined {
  if (!logprobs) return undefined;
  if ('content' in logprobs) return logprobs.content ?? undefined;
  if (!('tokens' in logprobs) || !logprobs.tokens) return undefined;
  return logprobs.tokens.map((token, index) => ({
    token,
    logprob: logprobs.token_logprobs?.[index] ?? -9999,
    bytes: bytesOf(token),
    top_logprobs: Object.entries(logprobs.top_logprobs?.[index] ?? {}).map(([alternative, logprob]) => ({
      token: alternative,
      logprob,
      bytes: bytesOf(alternative),
    })),
  }));
}
