import { Router, type Request, type Response } from 'express';
import { chatCompletionChunkSchema, chatCompletionRequestSchema, chatCompletionSchema } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { fillRegistryTools } from '../functions/chat-tools.js';
import { executeToolsHandler } from '../functions/execute-tools.js';
import { chat } from '../respond/endpoints.js';
import { describeRoute } from '../openapi/registry.js';
import { generateHandler } from './generate.js';

const GENERATION_ERRORS = [400, 404, 413, 429, 503];
describeRoute({
  method: 'post',
  path: '/v1/chat/completions',
  summary: 'Create a chat completion',
  description: 'OpenAI-compatible. With `stream: true` the answer is a server-sent event stream of chunks ending with `data: [DONE]`.',
  tags: ['Chat'],
  request: { body: chatCompletionRequestSchema },
  responses: { 200: { description: 'The completion (or, when streamed, `text/event-stream` of `chat.completion.chunk`).', json: chatCompletionSchema } },
  errors: GENERATION_ERRORS,
});
describeRoute({
  method: 'post',
  path: '/v1/chat/completions/stream',
  summary: 'Create a chat completion, always streamed',
  tags: ['Chat'],
  request: { body: chatCompletionRequestSchema },
  responses: { 200: { description: 'Server-sent events, one `chat.completion.chunk` each, then `data: [DONE]`.', sse: chatCompletionChunkSchema } },
  errors: GENERATION_ERRORS,
});

/** `POST /v1/chat/completions` and its always-streamed alias `/v1/chat/completions/stream`. */
export function chatCompletionsRouter(deps: ApiDeps): Router {
  const parse = (body: unknown) => fillRegistryTools(chatCompletionRequestSchema.parse(body), deps.functions.registry);
  // Tools named by registry name alone get their schema filled in before anything else sees them.
  const generate = generateHandler(deps, { ...chat, parse });
  const executeTools = executeToolsHandler(deps, parse);
  const handler = (req: Request, res: Response) => (req.body?.spool_execute_tools === true ? executeTools(req, res) : generate(req, res));
  return Router().post('/v1/chat/completions', handler).post('/v1/chat/completions/stream', handler);
}
