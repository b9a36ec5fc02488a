import { engineOptions, InvalidRequestError, unhonouredExtra, type ModelSpec } from '@spool/shared';

const wantsTools = (body: Record<string, unknown>) => {
  const tools = (body.tools ?? body.functions) as unknown[] | null | undefined;
  const choice = body.tool_choice ?? body.function_call;
  return Array.isArray(tools) && tools.length > 0 && choice !== 'none';
};

/**
 * Refuses, before anything is queued, what the model's engine cannot honour: a sampling extra it
 * does not take (top_k on llama.cpp, say), or tools on a vLLM Spool spawns without a tool-call
 * parser (vLLM would answer 400 for `auto`, or return the call as plain text). An attached vLLM
 * is someone else's: its own 400 reaches the client with its message.
 */
export function assertEngineHonours(spec: ModelSpec, body: Record<string, unknown>): void {
  const extra = unhonouredExtra(spec.engine, body);
  if (extra) {
    throw new InvalidRequestError(
      `The model '${spec.id}' runs on the ${spec.engine} engine, which does not honour '${extra}'; leave it out or use a vLLM model.`,
      extra,
      'unsupported_parameter',
    );
  }
  if (spec.engine === 'vllm' && wantsTools(body)) {
    const options = engineOptions(spec, 'vllm');
    if (!options.url && !options.toolCallParser) {
      throw new InvalidRequestError(
        `The model '${spec.id}' runs on vLLM without a tool-call parser, so it cannot call tools: set options.toolCallParser (hermes, llama3_json, mistral, ...) for it in the models file.`,
        body.tools ? 'tools' : 'functions',
        'unsupported_parameter',
      );
    }
  }
}
