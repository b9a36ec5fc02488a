import { Router } from 'express';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { chatFormat } from '../respond/formats.js';
import { chatJob } from '../translate.js';
import { generateHandler, type GenerateEndpoint } from './generate.js';

const chat: GenerateEndpoint<ChatCompletionRequest> = {
  idPrefix: 'chatcmpl',
  parse: (body) => chatCompletionRequestSchema.parse(body),
  model: (body) => body.model,
  stream: (body, req) => req.path.endsWith('/stream') || body.stream === true,
  includeUsage: (body) => body.stream_options?.include_usage === true,
  toJob: chatJob,
  format: (meta) => chatFormat(meta),
  cacheDefaults: { temperature: 1, top_p: 1, n: 1, presence_penalty: 0, frequency_penalty: 0, stop: [] },
};

/** `POST /v1/chat/completions` and its always-streamed alias `/v1/chat/completions/stream`. */
export function chatCompletionsRouter(deps: ApiDeps): Router {
  const handler = generateHandler(deps, chat);
  return Router().post('/v1/chat/completions', handler).post('/v1/chat/completions/stream', handler);
}
