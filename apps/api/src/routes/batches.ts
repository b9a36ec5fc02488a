import { Router, type Request } from 'express';
import { z } from 'zod';
import { BATCH_ENDPOINTS, batchListSchema, batchObjectSchema, InvalidRequestError, SpoolError, type Principal } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { addBatchJob, batchQueueOf } from '../batch/batch-queue.js';
import { batchObject, createBatchStore, nowSeconds } from '../batch/batch-store.js';
import { createFileStore } from '../files/file-store.js';
import { describeRoute } from '../openapi/registry.js';
import { ownerOf } from './files.js';

const createBody = z.object({
  input_file_id: z.string().min(1),
  endpoint: z.string(),
  completion_window: z.literal('24h'),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((metadata) => Object.keys(metadata).length <= 16, 'metadata holds at most 16 pairs')
    .nullish(),
});

const listQuery = z.object({ after: z.string().optional(), limit: z.coerce.number().int().min(1).max(100).default(20) });

const batchId = (req: Request) => String(req.params.id);

const batchParams = z.object({ id: z.string().meta({ description: 'The batch id (`batch_…`).' }) });
const batchRoute = { tags: ['Batches'] };
const batchResponse = { 200: { description: 'The batch.', json: batchObjectSchema } };
describeRoute({
  ...batchRoute,
  method: 'post',
  path: '/v1/batches',
  summary: 'Create a batch from an uploaded JSONL file',
  request: { body: createBody },
  responses: batchResponse,
  errors: [400, 404],
});
describeRoute({
  ...batchRoute,
  method: 'get',
  path: '/v1/batches',
  summary: "List the caller's batches",
  request: { query: listQuery },
  responses: { 200: { description: 'A page of batches.', json: batchListSchema } },
  errors: [400],
});
describeRoute({
  ...batchRoute,
  method: 'get',
  path: '/v1/batches/{id}',
  summary: 'Retrieve a batch',
  request: { params: batchParams },
  responses: batchResponse,
  errors: [404],
});
describeRoute({
  ...batchRoute,
  method: 'post',
  path: '/v1/batches/{id}/cancel',
  summary: 'Cancel a batch (answers so far are kept in the output file)',
  request: { params: batchParams },
  responses: batchResponse,
  errors: [404, 409],
});

/** OpenAI's Batch API: create, retrieve, list, cancel. Coordinators (see batch/coordinator.ts) run them. */
export function batchesRouter(deps: ApiDeps): Router {
  const store = createBatchStore(deps.redis, deps.config);
  const files = createFileStore(deps.redis, deps.config);
  const queue = batchQueueOf(deps.redis, deps.config);
  return Router()
    .post('/v1/batches', async (req, res) => {
      const body = createBody.parse(req.body);
      const endpoint = BATCH_ENDPOINTS.find((supported) => supported === body.endpoint);
      if (!endpoint)
        throw new InvalidRequestError(`Spool runs batches for ${BATCH_ENDPOINTS.join(', ')}, not '${body.endpoint}'.`, 'endpoint', 'invalid_endpoint');
      const input = await files.get(body.input_file_id, ownerOf(res));
      if (input.purpose !== 'batch')
        throw new InvalidRequestError(`The file '${input.id}' was not uploaded with purpose 'batch'.`, 'input_file_id', 'invalid_file_purpose');
      const allowedModels = (res.locals.principal as Principal | undefined)?.models;
      const batch = await store.create(ownerOf(res), {
        endpoint,
        input_file_id: input.id,
        completion_window: body.completion_window,
        metadata: body.metadata ?? null,
        allowed_models: allowedModels,
      });
      await addBatchJob(queue, batch.id);
      res.json(batchObject(batch));
    })
    .get('/v1/batches', async (req, res) => {
      const { after, limit } = listQuery.parse(req.query);
      const { batches, hasMore } = await store.list(ownerOf(res), after, limit);
      res.json({ object: 'list', data: batches.map(batchObject), first_id: batches[0]?.id ?? null, last_id: batches.at(-1)?.id ?? null, has_more: hasMore });
    })
    .get('/v1/batches/:id', async (req, res) => {
      res.json(batchObject(await store.get(batchId(req), ownerOf(res))));
    })
    .post('/v1/batches/:id/cancel', async (req, res) => {
      const batch = await store.get(batchId(req), ownerOf(res));
      const cancelled = await store.transition(batch.id, ['validating', 'in_progress'], 'cancelling', { cancelling_at: nowSeconds() });
      if (!cancelled && batch.status !== 'cancelling' && batch.status !== 'cancelled') {
        throw new SpoolError(409, `Batch '${batch.id}' is ${batch.status} and can no longer be cancelled.`, 'invalid_request_error', 'batch_not_cancellable');
      }
      res.json(batchObject(await store.get(batch.id)));
    });
}
