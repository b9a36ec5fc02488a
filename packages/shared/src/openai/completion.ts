import { z } from 'zod';
import { finishReasonSchema, samplingFields, usageSchema } from './common.js';

export const completionRequestSchema = z.object({
  ...samplingFields,
  prompt: z.union([z.string(), z.array(z.string()).min(1).max(64)]),
  echo: z.boolean().nullish(),
  suffix: z.string().nullish(),
});
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

export const completionSchema = z.object({
  id: z.string(),
  object: z.literal('text_completion'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string().nullable(),
  choices: z.array(
    z.object({ index: z.number().int(), text: z.string(), logprobs: z.null(), finish_reason: finishReasonSchema.nullable() }),
  ),
  usage: usageSchema.nullable().optional(),
});
export type Completion = z.infer<typeof completionSchema>;
