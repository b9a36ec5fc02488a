import { z } from 'zod';
import type { ResponseFormatSpec, ToolChoice, ToolSpec } from '../tool-spec.js';
import { InvalidRequestError } from '../errors.js';
import { findUnconstrainableKeyword } from '../json-schema-support.js';

const functionName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'function names are 1 to 64 letters, digits, underscores or dashes');
const jsonSchemaObject = z.record(z.string(), z.unknown());

export const functionDefinitionSchema = z.object({
  name: functionName,
  description: z.string().optional(),
  /** Absent: a registry function's own schema, else a function without arguments. */
  parameters: jsonSchemaObject.optional(),
  strict: z.boolean().nullish(),
});
export type FunctionDefinition = z.infer<typeof functionDefinitionSchema>;

/** The tool fields of a chat request (spread into its schema). */
export const toolRequestFields = {
  tools: z
    .array(z.object({ type: z.literal('function'), function: functionDefinitionSchema }))
    .max(128)
    .nullish(),
  tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  /** Legacy form of `tools`. */
  functions: z.array(functionDefinitionSchema).max(128).nullish(),
  /** Legacy form of `tool_choice`. */
  function_call: z.union([z.enum(['none', 'auto']), z.object({ name: z.string() })]).nullish(),
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({ name: functionName, description: z.string().optional(), schema: jsonSchemaObject.optional(), strict: z.boolean().nullish() }),
      }),
    ])
    .nullish(),
  /** Spool's extension: run registry functions the model calls and continue until a text answer. */
  spool_execute_tools: z.boolean().nullish(),
};

type ToolFields = { [K in keyof typeof toolRequestFields]?: z.infer<(typeof toolRequestFields)[K]> };

/** The engine-neutral tool and format fields of a GenerationRequest. */
export interface GenerationToolFields {
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormatSpec;
}

const NO_ARGUMENTS = { type: 'object', properties: {}, additionalProperties: false };

function checkSchema(schema: Record<string, unknown>, param: string): void {
  const found = findUnconstrainableKeyword(schema);
  if (found) {
    const where = found.path ? ` at '${found.path}'` : '';
    throw new InvalidRequestError(`Unsupported schema keyword '${found.keyword}'${where} in '${param}': ${found.reason}.`, param, 'unsupported_schema');
  }
}

/**
 * Maps a chat request's tool fields (current or legacy) to what the engine needs, checking that
 * every schema can be enforced and that a named choice names a given tool. Throws a 400 otherwise.
 */
export function generationToolFields(body: ToolFields): GenerationToolFields {
  if (body.tools && body.functions) throw new InvalidRequestError("Use either 'tools' or the legacy 'functions', not both.", 'functions');
  const legacy = !body.tools && !!body.functions;
  const definitions = body.tools?.map((tool) => tool.function) ?? body.functions ?? [];
  const toolsParam = legacy ? 'functions' : 'tools';
  const names = new Set<string>();
  const tools = definitions.map((definition, index): ToolSpec => {
    if (names.has(definition.name)) throw new InvalidRequestError(`Duplicate function name '${definition.name}'.`, `${toolsParam}[${index}]`);
    names.add(definition.name);
    const parameters = definition.parameters ?? NO_ARGUMENTS;
    checkSchema(parameters, legacy ? `functions[${index}].parameters` : `tools[${index}].function.parameters`);
    return { name: definition.name, ...(definition.description ? { description: definition.description } : {}), parameters };
  });

  const choice = legacy ? body.function_call : body.tool_choice;
  const choiceParam = legacy ? 'function_call' : 'tool_choice';
  let toolChoice: ToolChoice | undefined;
  if (choice != null) {
    if (typeof choice === 'string') toolChoice = choice;
    else toolChoice = { name: 'function' in choice ? choice.function.name : choice.name };
  }
  if (toolChoice !== undefined && toolChoice !== 'none' && tools.length === 0) {
    throw new InvalidRequestError(`'${choiceParam}' is only allowed when '${toolsParam}' are given.`, choiceParam);
  }
  if (typeof toolChoice === 'object' && !names.has(toolChoice.name)) {
    throw new InvalidRequestError(`'${choiceParam}' names the function '${toolChoice.name}', which is not among the ${toolsParam}.`, choiceParam);
  }

  let responseFormat: ResponseFormatSpec | undefined;
  const format = body.response_format;
  if (format?.type === 'json_object') responseFormat = { type: 'json_object' };
  if (format?.type === 'json_schema') {
    const schema = format.json_schema.schema ?? { type: 'object' };
    checkSchema(schema, 'response_format.json_schema.schema');
    responseFormat = { type: 'json_schema', name: format.json_schema.name, schema };
  }

  return {
    ...(tools.length > 0 ? { tools, toolChoice: toolChoice ?? 'auto', parallelToolCalls: body.parallel_tool_calls ?? true } : {}),
    ...(responseFormat ? { responseFormat } : {}),
  };
}
