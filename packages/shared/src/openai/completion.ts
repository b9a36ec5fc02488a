import { z } from 'zod';
import { finishReasonSchema, samplingFields, usageSchema } from './common.js';

export const completionRequestSchema = z.object({
  ...samplingFields,
  prompt: z.union([z.string(), z.array(z.string()).min(1).max(64)]),
  echo: z.boolean().nullish(),
  /** Refused when set (no engine here fills in the middle): never silently dropped. */
  suffix: z.string().nullish(),
  /** The legacy form: how many alternatives of each token to return (0 to 5). */
  logprobs: z.number().int().min(0).max(5).nullish(),
  /** Accepted only equal to `n` (the same as leaving it out); more would need picking among candidates. */
  best_of: z.number().int().min(1).max(20).nullish(),
});
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

export const completionSchema = z.object({
  id: z.string(),
  object: z.literal('text_completion'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string().nullable(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      text: z.string(),
      /** With `logprobs: N`: the legacy form, per token. */
      logprobs: z
        .object({
          tokens: z.array(z.string()),
          token_logprobs: z.array(z.number()),
          top_logprobs: z.array(z.record(z.string(), z.number())),
          text_offset: z.array(z.number().int()),
        })
        .nullable(),
      finish_reason: finishReasonSchema.nullable(),
    }),
  ),
  usage: usageSchema.nullable().optional(),
});
export type Completion = z.infer<typeof completionSchema>;
