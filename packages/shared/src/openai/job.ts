import { z } from 'zod';
import { errorResponseSchema } from './model.js';

/** The async job object (see async-jobs.ts), as the OpenAPI description shows it. */
export const asyncJobObjectSchema = z.object({
  id: z.string(),
  object: z.literal('job'),
  status: z.enum(['queued', 'in_progress', 'completed', 'failed', 'cancelled']),
  created_at: z.number().int(),
  model: z.string(),
  endpoint: z.enum(['/v1/chat/completions', '/v1/completions', '/v1/responses']),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: errorResponseSchema.shape.error.nullable(),
});

export const asyncJobListSchema = z.object({
  object: z.literal('list'),
  data: z.array(asyncJobObjectSchema),
  has_more: z.boolean(),
});
