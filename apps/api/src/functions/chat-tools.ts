import { InvalidRequestError, type ChatCompletionRequest, type FunctionDefinition } from '@spool/shared';
import type { FunctionRegistry } from './registry.js';

/** A tool that names a registry function without parameters gets the registry's schema and description. */
export function fillRegistryTools(body: ChatCompletionRequest, registry: FunctionRegistry): ChatCompletionRequest {
  const fill = (definition: FunctionDefinition): FunctionDefinition => {
    const fn = definition.parameters ? undefined : registry.get(definition.name);
    return fn ? { ...definition, description: definition.description ?? fn.description, parameters: fn.parameters } : definition;
  };
  if (body.spool_execute_tools && (body.n ?? 1) > 1) {
    throw new InvalidRequestError("'spool_execute_tools' works with one choice only (n = 1).", 'n');
  }
  return {
    ...body,
    ...(body.tools ? { tools: body.tools.map((tool) => ({ ...tool, function: fill(tool.function) })) } : {}),
    ...(body.functions ? { functions: body.functions.map(fill) } : {}),
  };
}
