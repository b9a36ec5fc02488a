import { z } from 'zod';
import { finishReasonSchema, usageSchema } from '@spool/shared';

/** The final answer of a generation, as every cache level keeps it. */
export const cachedResultSchema = z.object({
  choices: z.array(
    z.object({
      text: z.string(),
      toolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })),
      finishReason: finishReasonSchema,
      logprobs: z
        .array(
          z.object({
            token: z.string(),
            logprob: z.number(),
            bytes: z.array(z.number()),
            top_logprobs: z.array(z.object({ token: z.string(), logprob: z.number(), bytes: z.array(z.number()) })),
          }),
        )
        .optional(),
    }),
  ),
  usage: usageSchema,
  /** The vectors of an embeddings request (which has no choices). */
  embeddings: z.array(z.array(z.number())).optional(),
});
export type CachedResult = z.infer<typeof cachedResultSchema>;
