import { z } from 'zod';

/**
 * OpenAI's Responses API (`POST /v1/responses`), the part a text model can serve: text input,
 * function tools, JSON output. Items and tools are read loosely here so that a kind Spool cannot
 * serve (an image, a built-in tool) is refused by name (see `unsupportedInResponseRequest`)
 * rather than as a shapeless "Invalid input".
 */

const inputTextPart = z.object({ type: z.literal('input_text'), text: z.string() });
const outputTextPart = z.object({ type: z.literal('output_text'), text: z.string() }).loose();
const refusalPart = z.object({ type: z.literal('refusal'), refusal: z.string() });
const contentPart = z.discriminatedUnion('type', [inputTextPart, outputTextPart, refusalPart]);

export const responseMessageItemSchema = z.object({
  type: z.literal('message').optional(),
  id: z.string().optional(),
  role: z.enum(['user', 'system', 'developer', 'assistant']),
  content: z.union([z.string(), z.array(contentPart)]),
  status: z.string().optional(),
});

export const responseFunctionCallItemSchema = z.object({
  type: z.literal('function_call'),
  id: z.string().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  status: z.string().optional(),
});

export const responseFunctionCallOutputItemSchema = z.object({
  type: z.literal('function_call_output'),
  id: z.string().nullish(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(inputTextPart)]),
  status: z.string().nullish(),
});

/** An input item Spool serves: a message, a function call the model made, or its output. */
export const responseInputItemSchema = z.union([responseMessageItemSchema, responseFunctionCallItemSchema, responseFunctionCallOutputItemSchema]);
export type ResponseInputItem = z.infer<typeof responseInputItemSchema>;

/** A function tool in the Responses API's flat shape (Chat Completions nests it under `function`). */
export const responseFunctionToolSchema = z.object({
  type: z.literal('function'),
  name: z.string(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export type ResponseFunctionTool = z.infer<typeof responseFunctionToolSchema>;

export const responseTextFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string(),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().nullish(),
    strict: z.boolean().nullish(),
  }),
]);

/** Anything with a `type`: checked kind by kind once the kind is known to be served. */
const typed = z.object({ type: z.string().optional() }).loose();

export const responseCreateRequestSchema = z.object({
  model: z.string().min(1).max(256),
  input: z.union([z.string(), z.array(typed)]),
  instructions: z.string().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  tools: z
    .array(typed.extend({ type: z.string() }))
    .max(128)
    .nullish(),
  tool_choice: z.union([z.enum(['none', 'auto', 'required']), typed.extend({ type: z.string(), name: z.string().optional() })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z.object({ format: responseTextFormatSchema.nullish(), verbosity: z.string().nullish() }).nullish(),
  stream: z.boolean().nullish(),
  background: z.boolean().nullish(),
  /** Default true: the response is kept (with the async-job retention) for GET and `previous_response_id`. */
  store: z.boolean().nullish(),
  previous_response_id: z.string().nullish(),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
  user: z.string().max(256).nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  // Read and answered as OpenAI does, with no effect on a text model's output.
  reasoning: z.object({}).loose().nullish(),
  include: z.array(z.string()).nullish(),
  stream_options: z.object({}).loose().nullish(),
  service_tier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  max_tool_calls: z.number().int().positive().nullish(),
  // Named so that a request using them is refused by name (see unsupportedInResponseRequest).
  conversation: z.unknown().optional(),
  prompt: z.unknown().optional(),
});
export type ResponseCreateRequest = z.infer<typeof responseCreateRequestSchema>;

const contentLabels: Record<string, string> = {
  input_image: 'images (input_image)',
  input_file: 'files (input_file)',
  input_audio: 'audio (input_audio)',
};

export interface Unsupported {
  message: string;
  param: string;
}

/**
 * The first thing in a request that Spool cannot serve, named: a built-in tool, a non-text input
 * part, an item kind, a stored prompt or conversation. Undefined when everything is served.
 */
export function unsupportedInResponseRequest(body: ResponseCreateRequest): Unsupported | undefined {
  if (body.conversation != null) return { param: 'conversation', message: "Conversations are not supported; chain responses with 'previous_response_id'." };
  if (body.prompt != null) return { param: 'prompt', message: "Stored prompt templates are not supported; send 'instructions' and 'input'." };
  if (body.top_logprobs) return { param: 'top_logprobs', message: "'top_logprobs' is not supported by the Responses API here." };
  for (const [index, tool] of (body.tools ?? []).entries()) {
    if (tool.type !== 'function') {
      return {
        param: `tools[${index}].type`,
        message: `The built-in tool '${tool.type}' is not supported: this server runs only function tools ({"type": "function", ...}).`,
      };
    }
  }
  const choice = body.tool_choice;
  if (typeof choice === 'object' && choice !== null && choice.type !== 'function') {
    return {
      param: 'tool_choice.type',
      message: `tool_choice of type '${choice.type}' is not supported: use 'none', 'auto', 'required' or {"type": "function", "name": ...}.`,
    };
  }
  if (typeof body.input === 'string') return undefined;
  for (const [index, item] of body.input.entries()) {
    const kind = item.type ?? 'message';
    if (kind !== 'message' && kind !== 'function_call' && kind !== 'function_call_output') {
      return {
        param: `input[${index}].type`,
        message: `Input items of type '${kind}' are not supported: send messages, function_call and function_call_output items.`,
      };
    }
    const parts = kind === 'message' && Array.isArray(item.content) ? (item.content as { type?: unknown }[]) : [];
    for (const [partIndex, part] of parts.entries()) {
      const type = String(part?.type);
      if (contentLabels[type]) {
        return {
          param: `input[${index}].content[${partIndex}].type`,
          message: `This model does not accept ${contentLabels[type]}: it reads text only (input_text).`,
        };
      }
    }
  }
  return undefined;
}

export const responseUsageSchema = z.object({
  input_tokens: z.number().int(),
  input_tokens_details: z.object({ cached_tokens: z.number().int() }),
  output_tokens: z.number().int(),
  output_tokens_details: z.object({ reasoning_tokens: z.number().int() }),
  total_tokens: z.number().int(),
});

/** The response object, as the OpenAPI description shows it (items are OpenAI's message and function_call items). */
export const responseObjectSchema = z.object({
  id: z.string(),
  object: z.literal('response'),
  created_at: z.number().int(),
  status: z.enum(['queued', 'in_progress', 'completed', 'incomplete', 'failed', 'cancelled']),
  background: z.boolean(),
  error: z.object({ code: z.string().nullable(), message: z.string() }).nullable(),
  incomplete_details: z.object({ reason: z.string() }).nullable(),
  instructions: z.string().nullable(),
  model: z.string(),
  output: z.array(z.record(z.string(), z.unknown())),
  previous_response_id: z.string().nullable(),
  store: z.boolean(),
  usage: responseUsageSchema.nullable(),
});

export const responseDeletedSchema = z.object({ id: z.string(), object: z.literal('response'), deleted: z.literal(true) });

export const responseInputItemListSchema = z.object({
  object: z.literal('list'),
  data: z.array(z.record(z.string(), z.unknown())),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});

/** An SSE event of a response stream: `type` names it, `sequence_number` orders it. */
export const responseStreamEventSchema = z.object({ type: z.string(), sequence_number: z.number().int() }).loose();
