import { z } from 'zod';
import { finishReasonSchema, samplingFields, usageSchema } from './common.js';
import { toolRequestFields } from './tools.js';

const textPart = z.object({ type: z.literal('text'), text: z.string() });
/** Content parts the OpenAI API takes that no Spool engine reads, and what they hold. */
const MEDIA_PARTS: Record<string, string> = {
  image_url: 'images',
  input_image: 'images',
  input_audio: 'audio',
  audio: 'audio',
  file: 'files',
  input_file: 'files',
};
/** A text part; a media part gets its own message (not zod's "Invalid input") naming what the model does not take. */
const contentPart = z.preprocess((part, context) => {
  const type = (part as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && MEDIA_PARTS[type]) {
    context.addIssue({
      code: 'custom',
      message: `This model does not accept ${MEDIA_PARTS[type]} (a content part of type '${type}'); send text parts only.`,
      input: part,
    });
  }
  return part;
}, textPart);
/** Message content: a string, or text parts (joined), as the OpenAI clients send it. */
const contentSchema = z.union([z.string(), z.array(contentPart)]);

const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const chatMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: contentSchema, name: z.string().optional() }),
  z.object({ role: z.literal('developer'), content: contentSchema, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content: contentSchema, name: z.string().optional() }),
  z.object({
    role: z.literal('assistant'),
    content: contentSchema.nullish(),
    name: z.string().optional(),
    tool_calls: z.array(toolCallSchema).optional(),
  }),
  z.object({ role: z.literal('tool'), content: contentSchema, tool_call_id: z.string() }),
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const chatCompletionRequestSchema = z.object({
  ...samplingFields,
  messages: z.array(chatMessageSchema).min(1, 'messages must contain at least one message'),
  max_completion_tokens: z.number().int().positive().nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  ...toolRequestFields,
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

const tokenLogprobSchema = z.object({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.number().int()),
  top_logprobs: z.array(z.object({ token: z.string(), logprob: z.number(), bytes: z.array(z.number().int()) })),
});
/** With `logprobs: true`: each token of the text, its log probability and the `top_logprobs` most likely alternatives. */
const logprobsSchema = z.object({ content: z.array(tokenLogprobSchema).nullable(), refusal: z.null() });

export const chatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string().nullable(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({
        role: z.literal('assistant'),
        content: z.string().nullable(),
        tool_calls: z.array(toolCallSchema).optional(),
        /** The call, when the request used the legacy `functions`. */
        function_call: toolCallSchema.shape.function.optional(),
      }),
      logprobs: logprobsSchema.nullable(),
      finish_reason: finishReasonSchema,
    }),
  ),
  usage: usageSchema,
});
export type ChatCompletion = z.infer<typeof chatCompletionSchema>;

export const chatCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  system_fingerprint: z.string().nullable(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      delta: z.object({
        role: z.literal('assistant').optional(),
        content: z.string().nullable().optional(),
        tool_calls: z
          .array(
            z.object({
              index: z.number().int(),
              id: z.string().optional(),
              type: z.literal('function').optional(),
              function: z.object({ name: z.string().optional(), arguments: z.string().optional() }),
            }),
          )
          .optional(),
        function_call: z.object({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
      }),
      logprobs: logprobsSchema.nullable(),
      finish_reason: finishReasonSchema.nullable(),
    }),
  ),
  usage: usageSchema.nullable().optional(),
});
export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;

/** Joins text parts into one string. */
export function contentText(content: string | { text: string }[] | null | undefined): string {
  if (content == null) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}
