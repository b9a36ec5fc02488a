import { z } from 'zod';
import { finishReasonSchema, usageSchema } from '@spool/shared';

/** The final answer of a generation, as every cache level keeps it. */
export const cachedResultSchema = z.object({
  choices: z.array(
    z.object({
      text: z.string(),
      toolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })),
      finishReason: finishReasonSchema,
    }),
  ),
  usage: usageSchema,
  /** The vectors of an embeddings request (which has no choices). */
  embeddings: z.array(z.array(z.number())).optional(),
});
export type CachedResult = z.infer<typeof cachedResultSchema>;
