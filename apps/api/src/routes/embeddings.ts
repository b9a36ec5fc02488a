import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import {
  embeddingInputs,
  embeddingListSchema,
  embeddingRequestSchema,
  InvalidRequestError,
  modelCapabilities,
  type GenerationJob,
  type TokenUsage,
} from '@spool/shared';
import { answerWithCache, replayOutput } from '../cache/cached-generation.js';
import type { CachedResult } from '../cache/cached-result.js';
import type { ApiDeps } from '../deps.js';
import { describeRoute } from '../openapi/registry.js';
import { jobOutput, type JobOutput } from '../respond/job-output.js';
import { resolveModel } from '../resolve-model.js';

describeRoute({
  method: 'post',
  path: '/v1/embeddings',
  summary: 'Create embeddings',
  description:
    'OpenAI-compatible. `input` is a string, strings, a token array or token arrays; `encoding_format` `float` or `base64`. Served by the worker that holds the model (llama.cpp models, and models the models file declares with the `embeddings` capability). `dimensions` is refused unless the model can shorten its vectors.',
  tags: ['Embeddings'],
  request: { body: embeddingRequestSchema },
  responses: { 200: { description: 'One vector per input, in order.', json: embeddingListSchema } },
  errors: [400, 404, 413, 429, 503],
});

/** A cheap upper bound of an input's tokens (about 3 characters a token) for queue accounting. */
const estimateTokens = (input: string | number[], contextLength: number) =>
  Math.min(typeof input === 'string' ? Math.ceil(input.length / 3) + 8 : input.length, contextLength);

/** OpenAI's base64 form: the vector's little-endian float32 bytes. */
function base64Of(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}

/**
 * `POST /v1/embeddings`: an `embeddings` job on the model's queue, run by the worker that holds the
 * model (the API loads none), cached like a deterministic chat request: the same input always gives
 * the same vectors.
 */
export function embeddingsRouter(deps: ApiDeps): Router {
  return Router().post('/v1/embeddings', async function embeddings(req: Request, res: Response) {
    const body = embeddingRequestSchema.parse(req.body);
    const { spec, contextLength } = resolveModel(deps, body.model);
    res.locals.model = spec.id;
    if (!modelCapabilities(spec).includes('embeddings')) {
      throw new InvalidRequestError(`The model '${spec.id}' does not serve embeddings.`, 'model', 'model_not_supported');
    }
    if (body.dimensions != null && spec.engine === 'llamacpp') {
      throw new InvalidRequestError("'dimensions' is not supported by this model: its vectors have one fixed size.", 'dimensions', 'unsupported_parameter');
    }
    const inputs = embeddingInputs(body.input);
    const respond = (vectors: number[][], usage: TokenUsage) => {
      res.locals.usage = usage;
      res.json({
        object: 'list',
        data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: body.encoding_format === 'base64' ? base64Of(vector) : vector })),
        model: body.model,
        usage: { prompt_tokens: usage.prompt_tokens, total_tokens: usage.prompt_tokens },
      });
    };
    const answer = async (output: AsyncIterable<JobOutput> | Iterable<JobOutput>) => {
      for await (const part of output) if (part.type === 'done') return respond(part.embeddings ?? [], part.usage);
    };
    // The encoding changes only how the vectors are written: one cache entry serves both.
    const { encoding_format: _encoding, user: _user, ...keyed } = body;
    const cacheable = { endpoint: 'embeddings', model: spec.id, body: keyed, defaults: {}, deterministic: true };
    await answerWithCache(deps.cache, deps.config, req, res, cacheable, {
      replay: (result: CachedResult) => answer(replayOutput(result)),
      async generate(record) {
        const now = Date.now();
        const job: GenerationJob = {
          requestId: res.locals.requestId,
          model: spec.id,
          inputs: [],
          embeddings: { inputs, ...(body.dimensions != null ? { dimensions: body.dimensions } : {}) },
          reservedTokens: inputs.reduce((sum, input) => sum + estimateTokens(input, contextLength), 0),
          stream: false,
          enqueuedAt: now,
          deadlineAt: now + deps.config.MAX_QUEUE_WAIT_MS,
        };
        const clientGone = new AbortController();
        res.on('close', () => clientGone.abort());
        const events = deps.jobs.submit(`emb-${randomUUID().replaceAll('-', '')}`, job, { signal: clientGone.signal });
        await answer(record(jobOutput(events), 0));
      },
    });
  });
}
