import { Router } from 'express';
import { z } from 'zod';
import {
  responseCreateRequestSchema,
  responseDeletedSchema,
  responseInputItemListSchema,
  responseObjectSchema,
  responseStreamEventSchema,
} from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { startingAfter } from '../jobs/event-stream.js';
import { ownerOf } from '../jobs/job-record.js';
import { describeRoute } from '../openapi/registry.js';
import { createResponse } from '../responses/create-response.js';
import { cancelResponse, deleteResponse, listInputItems, readResponseRecord, retrieveResponse } from '../responses/response-store.js';
import { streamResponseLog } from '../responses/response-stream.js';

const idParams = z.object({ id: z.string().meta({ description: 'The response id (`resp_…`).' }) });
const retrieveQuery = z.object({
  stream: z.enum(['true', 'false']).optional().meta({ description: '`true`: stream the typed events (replayed from the start, then live).' }),
  starting_after: z.coerce.number().int().min(-1).optional().meta({ description: 'With `stream=true`: resume after this `sequence_number`.' }),
});
const inputItemsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: z.string().min(1).optional(),
});
const objectResponse = { 200: { description: 'The response object.', json: responseObjectSchema } };

describeRoute({
  method: 'post',
  path: '/v1/responses',
  summary: 'Create a model response (OpenAI Responses API)',
  description:
    'Text input and messages, function tools, `text.format` JSON output. `stream: true` answers typed server-sent events, each with a `sequence_number`; `background: true` answers at once with a queued response to poll, stream or cancel. Stored responses (default) are kept for `JOB_RETENTION_S` and continue with `previous_response_id`.',
  tags: ['Responses'],
  request: { body: responseCreateRequestSchema },
  responses: {
    200: {
      description: 'The response object (or, when streamed, `text/event-stream` of typed events).',
      json: responseObjectSchema,
      sse: responseStreamEventSchema,
    },
  },
  errors: [400, 404, 413, 429, 503],
});
const oneResponse = { tags: ['Responses'], errors: [400, 404] };
describeRoute({
  ...oneResponse,
  method: 'get',
  path: '/v1/responses/{id}',
  summary: 'Retrieve a stored response; with stream=true, stream (or resume) its events',
  request: { params: idParams, query: retrieveQuery },
  responses: {
    200: {
      description: 'The response object, or `text/event-stream` of typed events with `stream=true`.',
      json: responseObjectSchema,
      sse: responseStreamEventSchema,
    },
  },
});
describeRoute({
  ...oneResponse,
  method: 'post',
  path: '/v1/responses/{id}/cancel',
  summary: 'Cancel a background response',
  request: { params: idParams },
  responses: objectResponse,
});
describeRoute({
  ...oneResponse,
  method: 'delete',
  path: '/v1/responses/{id}',
  summary: 'Delete a stored response',
  request: { params: idParams },
  responses: { 200: { description: 'Deleted.', json: responseDeletedSchema } },
});
describeRoute({
  ...oneResponse,
  method: 'get',
  path: '/v1/responses/{id}/input_items',
  summary: 'List the input items of a stored response (earlier turns included)',
  request: { params: idParams, query: inputItemsQuery },
  responses: { 200: { description: 'A page of input items.', json: responseInputItemListSchema } },
});

/** OpenAI's Responses API on Spool's queue path, its stored responses kept as async jobs. */
export function responsesRouter(deps: ApiDeps): Router {
  return Router()
    .post('/v1/responses', (req, res) => createResponse(deps, req, res))
    .get('/v1/responses/:id', async (req, res) => {
      const query = retrieveQuery.parse(req.query);
      if (query.stream !== 'true') return void res.json(await retrieveResponse(deps, req.params.id, ownerOf(res)));
      const record = await readResponseRecord(deps, req.params.id, ownerOf(res));
      await streamResponseLog(deps, res, record, startingAfter(req));
    })
    .post('/v1/responses/:id/cancel', async (req, res) => {
      res.json(await cancelResponse(deps, req.params.id, ownerOf(res)));
    })
    .delete('/v1/responses/:id', async (req, res) => {
      res.json(await deleteResponse(deps, req.params.id, ownerOf(res)));
    })
    .get('/v1/responses/:id/input_items', async (req, res) => {
      res.json(await listInputItems(deps, req.params.id, ownerOf(res), inputItemsQuery.parse(req.query)));
    });
}
