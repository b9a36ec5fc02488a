import { InvalidRequestError, type EmbeddingRequest, type Engine, type GenerationResult } from '@spool/shared';

/** Runs an embeddings job on the engine; the vectors travel on the result (and its `done` event). */
export async function runEmbeddings(engine: Engine, request: EmbeddingRequest, signal: AbortSignal): Promise<GenerationResult> {
  if (!engine.embed) throw new InvalidRequestError(`The model '${engine.model.id}' does not serve embeddings.`, 'model', 'unsupported_model');
  const { vectors, promptTokens } = await engine.embed(request, signal);
  return { choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens }, embeddings: vectors };
}
