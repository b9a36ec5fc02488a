import { Router, type Request, type Response } from 'express';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { fillRegistryTools } from '../functions/chat-tools.js';
import { executeToolsHandler } from '../functions/execute-tools.js';
import { chatFormat } from '../respond/formats.js';
import { chatJob } from '../translate.js';
import { generateHandler, type GenerateEndpoint } from './generate.js';

/** `POST /v1/chat/completions` and its always-streamed alias `/v1/chat/completions/stream`. */
export function chatCompletionsRouter(deps: ApiDeps): Router {
  const parse = (body: unknown) => fillRegistryTools(chatCompletionRequestSchema.parse(body), deps.functions.registry);
  const chat: GenerateEndpoint<ChatCompletionRequest> = {
    idPrefix: 'chatcmpl',
    parse,
    model: (body) => body.model,
    stream: (body, req) => req.path.endsWith('/stream') || body.stream === true,
    includeUsage: (body) => body.stream_options?.include_usage === true,
    toJob: chatJob,
    format: (meta) => chatFormat(meta),
  };
  const generate = generateHandler(deps, chat);
  const executeTools = executeToolsHandler(deps, parse);
  const handler = (req: Request, res: Response) => (req.body?.spool_execute_tools === true ? executeTools(req, res) : generate(req, res));
  return Router().post('/v1/chat/completions', handler).post('/v1/chat/completions/stream', handler);
}
