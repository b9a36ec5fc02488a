import type { LlamaEmbeddingContext, LlamaModel, Token } from 'node-llama-cpp';
import { InvalidRequestError, type EmbeddingRequest, type EmbeddingResult } from '@spool/shared';

export interface LlamaCppEmbedderOptions {
  contextSize: number;
  threads: number;
  batchSize: number;
}

/**
 * Embeddings from the model the engine already holds, through node-llama-cpp's embedding context.
 * The context is made on the first request (most deployments never ask for embeddings, and it
 * costs memory) and kept; inputs run one after another in it.
 */
export function createLlamaCppEmbedder(model: () => LlamaModel, options: LlamaCppEmbedderOptions) {
  let context: Promise<LlamaEmbeddingContext> | undefined;

  const contextOf = () => {
    context ??= model().createEmbeddingContext({ contextSize: options.contextSize, threads: options.threads, batchSize: options.batchSize });
    context.catch(() => (context = undefined));
    return context;
  };

  /** Token ids outside the vocabulary would reach llama.cpp unchecked: refuse them first. */
  function checkTokens(tokens: number[], index: number): void {
    const size = vocabularySize(model());
    const bad = tokens.find((token) => !Number.isInteger(token) || token < 0 || token >= size);
    if (bad !== undefined)
      throw new InvalidRequestError(`Token ${bad} in 'input[${index}]' is not in the model's vocabulary (0 to ${size - 1}).`, 'input', 'invalid_value');
  }

  return {
    async embed(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingResult> {
      if (request.dimensions !== undefined) {
        throw new InvalidRequestError("'dimensions' is not supported by this model: its vectors have one fixed size.", 'dimensions', 'unsupported_parameter');
      }
      const embeddings = await contextOf();
      const vectors: number[][] = [];
      let promptTokens = 0;
      for (const [index, input] of request.inputs.entries()) {
        if (signal.aborted) throw signal.reason;
        if (typeof input !== 'string') checkTokens(input, index);
        const tokens = typeof input === 'string' ? model().tokenize(input) : (input as Token[]);
        if (tokens.length > options.contextSize) {
          throw new InvalidRequestError(
            `This model's maximum context length is ${options.contextSize} tokens, but 'input[${index}]' has ${tokens.length} tokens.`,
            'input',
            'context_length_exceeded',
          );
        }
        if (tokens.length === 0) throw new InvalidRequestError(`'input[${index}]' is empty.`, 'input', 'invalid_value');
        const embedding = await embeddings.getEmbeddingFor(tokens);
        vectors.push([...embedding.vector]);
        promptTokens += tokens.length;
      }
      return { vectors, promptTokens };
    },
    async dispose() {
      const made = await context?.catch(() => undefined);
      context = undefined;
      await made?.dispose();
    },
  };
}

/** The number of tokens in the model's vocabulary, from the GGUF's token list. */
function vocabularySize(model: LlamaModel): number {
  const tokens = (model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: readonly unknown[] } } }).tokenizer?.ggml?.tokens;
  return tokens?.length ?? Number.MAX_SAFE_INTEGER;
}
