import { Router } from 'express';
import { completionRequestSchema, completionSchema, type CompletionRequest } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { completionFormat } from '../respond/formats.js';
import { completionJob } from '../translate.js';
import { describeRoute } from '../openapi/registry.js';
import { generateHandler, type GenerateEndpoint } from './generate.js';

describeRoute({
  method: 'post',
  path: '/v1/completions',
  summary: 'Create a legacy text completion',
  description: 'OpenAI-compatible. With `stream: true` the answer is a server-sent event stream of `text_completion` chunks ending with `data: [DONE]`.',
  tags: ['Completions'],
  scope: 'generate',
  request: { body: completionRequestSchema },
  responses: { 200: { description: 'The completion (or, when streamed, `text/event-stream`).', json: completionSchema } },
  errors: [400, 404, 413, 429, 503],
});

export const completions: GenerateEndpoint<CompletionRequest> = {
  idPrefix: 'cmpl',
  parse: (body) => completionRequestSchema.parse(body),
  model: (body) => body.model,
  stream: (body) => body.stream === true,
  includeUsage: (body) => body.stream_options?.include_usage === true,
  toJob: completionJob,
  cacheDefaults: { temperature: 1, top_p: 1, n: 1, presence_penalty: 0, frequency_penalty: 0, stop: [], max_tokens: 16, echo: false },
  format: (meta, body) => {
    if (!body.echo) return completionFormat(meta);
    const prompts = typeof body.prompt === 'string' ? [body.prompt] : body.prompt;
    return completionFormat(meta, prompts.flatMap((prompt) => Array<string>(body.n ?? 1).fill(prompt)));
  },
};

/** `POST /v1/completions`: the legacy text completion, prompt as a string or an array of strings. */
export function completionsRouter(deps: ApiDeps): Router {
  return Router().post('/v1/completions', generateHandler(deps, completions));
}
