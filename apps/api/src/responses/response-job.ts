import { ZodError } from 'zod';
import { chatCompletionRequestSchema, SpoolError, type ChatMessage, type GenerationJob, type ResponseCreateRequest } from '@spool/shared';
import { toSpoolError } from '../middleware/error-handler.js';
import { chatJob, type JobTarget } from '../translate.js';

/** A chat request's field names in an error, as the Responses API names them. */
const RENAMES: [RegExp, string][] = [
  [/\btools\[(\d+)\]\.function\./g, 'tools[$1].'],
  [/\bresponse_format\.json_schema\b/g, 'text.format'],
  [/\bresponse_format\b/g, 'text.format'],
  [/\bmax_completion_tokens\b/g, 'max_output_tokens'],
  [/\bmessages\b/g, 'input'],
];
const renamed = (text: string) => RENAMES.reduce((result, [pattern, name]) => result.replace(pattern, name), text);

function withResponseNames(error: unknown): unknown {
  const spoolError = error instanceof ZodError || error instanceof SpoolError ? toSpoolError(error)! : undefined;
  if (!spoolError) return error;
  const param = spoolError.param === null ? null : renamed(spoolError.param);
  return new SpoolError(spoolError.status, renamed(spoolError.message), spoolError.type, spoolError.code, param, spoolError.headers);
}

/**
 * The chat request a response request amounts to: the same engine path serves both, so tools,
 * structured output, sampling and the token reservation are checked exactly as chat checks them.
 */
export function chatRequestOf(body: ResponseCreateRequest, messages: ChatMessage[]) {
  const format = body.text?.format;
  const choice = body.tool_choice;
  return chatCompletionRequestSchema.parse({
    model: body.model,
    messages,
    temperature: body.temperature,
    top_p: body.top_p,
    max_completion_tokens: body.max_output_tokens,
    tools: body.tools?.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description ?? undefined, parameters: tool.parameters ?? undefined, strict: tool.strict },
    })),
    tool_choice: typeof choice === 'object' && choice !== null ? { type: 'function', function: { name: choice.name } } : choice,
    parallel_tool_calls: body.parallel_tool_calls,
    response_format:
      format?.type === 'json_schema'
        ? {
            type: 'json_schema',
            json_schema: { name: format.name, description: format.description ?? undefined, schema: format.schema, strict: format.strict },
          }
        : format,
    user: body.user,
  });
}

/** The generation job of a response request; a refusal names the Responses API's fields. */
export function responseJob(body: ResponseCreateRequest, messages: ChatMessage[], target: JobTarget): GenerationJob {
  try {
    return chatJob(chatRequestOf(body, messages), target);
  } catch (error) {
    throw withResponseNames(error);
  }
}
