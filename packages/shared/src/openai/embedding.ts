import { z } from 'zod';

const tokenIds = z.array(z.number().int().nonnegative()).min(1, 'a token array must hold at least one token');
/** As OpenAI caps it: 2048 inputs a request. */
const MAX_INPUTS = 2048;

export const embeddingRequestSchema = z.object({
  model: z.string().min(1).max(256),
  /** A string, strings, a token array, or token arrays, as OpenAI takes it. */
  input: z.union([
    z.string().min(1, 'input must not be empty'),
    z.array(z.string().min(1, 'an input must not be empty')).min(1).max(MAX_INPUTS),
    tokenIds,
    z.array(tokenIds).min(1).max(MAX_INPUTS),
  ]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  /** Shorter vectors: only where the model supports it (vLLM with a Matryoshka model); else a 400 naming it. */
  dimensions: z.number().int().positive().nullish(),
  user: z.string().max(256).nullish(),
});
export type EmbeddingCreateRequest = z.infer<typeof embeddingRequestSchema>;

export const embeddingListSchema = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      object: z.literal('embedding'),
      index: z.number().int(),
      /** Floats, or with `encoding_format: base64` the little-endian float32 bytes in base64. */
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
});

/** The inputs of a request as a list: one string or token array per vector. */
export function embeddingInputs(input: EmbeddingCreateRequest['input']): (string | number[])[] {
  if (typeof input === 'string') return [input];
  if (input.length > 0 && typeof input[0] === 'number') return [input as number[]];
  return input as string[] | number[][];
}
