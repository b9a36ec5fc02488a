import { Router } from 'express';
import { completionRequestSchema, completionSchema } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { completions } from '../respond/endpoints.js';
import { describeRoute } from '../openapi/registry.js';
import { generateHandler } from './generate.js';

describeRoute({
  method: 'post',
  path: '/v1/completions',
  summary: 'Create a legacy text completion',
  description: 'OpenAI-compatible. With `stream: true` the answer is a server-sent event stream of `text_completion` chunks ending with `data: [DONE]`.',
  tags: ['Completions'],
  request: { body: completionRequestSchema },
  responses: { 200: { description: 'The completion (or, when streamed, `text/event-stream`).', json: completionSchema } },
  errors: [400, 404, 413, 429, 503],
});

/** `POST /v1/completions`: the legacy text completion, prompt as a string or an array of strings. */
export function completionsRouter(deps: ApiDeps): Router {
  return Router().post('/v1/completions', generateHandler(deps, completions));
}
