import type { Request } from 'express';
import {
  chatCompletionRequestSchema,
  completionRequestSchema,
  type AsyncJobObject,
  type ChatCompletionRequest,
  type CompletionRequest,
  type GenerationJob,
} from '@spool/shared';
import { chatJob, completionJob, type JobTarget } from '../translate.js';
import { responsesFormat, type StoredResponse } from '../responses/response-object.js';
import { chatFormat, completionFormat, type ResponseFormat, type ResponseMeta } from './formats.js';

/**
 * What differs between the generation endpoints; the rest of the path is shared. The routes serve them
 * and a background job's record names one, so they live here, below both.
 */
export interface GenerateEndpoint<Body> {
  /** The path a background job records, to shape its answer later as this endpoint would. */
  path: AsyncJobObject['endpoint'];
  idPrefix: string;
  parse(body: unknown): Body;
  model(body: Body): string;
  stream(body: Body, req: Request): boolean;
  includeUsage(body: Body): boolean;
  toJob(body: Body, target: JobTarget): GenerationJob;
  format(meta: ResponseMeta, body: Body): ResponseFormat;
  /** Values of fields a request may leave out, so the cache key treats both alike. */
  cacheDefaults?: Record<string, unknown>;
}

export const chat: GenerateEndpoint<ChatCompletionRequest> = {
  path: '/v1/chat/completions',
  idPrefix: 'chatcmpl',
  parse: (body) => chatCompletionRequestSchema.parse(body),
  model: (body) => body.model,
  stream: (body, req) => req.path.endsWith('/stream') || body.stream === true,
  includeUsage: (body) => body.stream_options?.include_usage === true,
  toJob: chatJob,
  format: (meta, body) => chatFormat(meta, { legacyFunctions: !body.tools?.length && !!body.functions?.length }),
  cacheDefaults: { temperature: 1, top_p: 1, n: 1, presence_penalty: 0, frequency_penalty: 0, stop: [] },
};

export const completions: GenerateEndpoint<CompletionRequest> = {
  path: '/v1/completions',
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
    return completionFormat(
      meta,
      prompts.flatMap((prompt) => Array<string>(body.n ?? 1).fill(prompt)),
    );
  },
};

/**
 * The Responses API. Its requests take a path of their own (responses/create-response.ts: a turn
 * reads its earlier turns from Redis first); what the job machinery needs of it is its final body.
 */
export const responses = {
  path: '/v1/responses',
  idPrefix: 'resp',
  format: (meta: ResponseMeta, body: StoredResponse) => responsesFormat(meta, body),
} as const;

/** Every endpoint a background job can name, by the path its record keeps. */
export const endpointsByPath = {
  '/v1/chat/completions': chat,
  '/v1/completions': completions,
  '/v1/responses': responses,
} satisfies Record<AsyncJobObject['endpoint'], { path: AsyncJobObject['endpoint'] }>;
