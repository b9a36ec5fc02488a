import { z } from 'zod';

export const modelObjectSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
});
export type ModelObject = z.infer<typeof modelObjectSchema>;

export const modelListSchema = z.object({ object: z.literal('list'), data: z.array(modelObjectSchema) });

export const errorResponseSchema = z.object({
  error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }),
});
