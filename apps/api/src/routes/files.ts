import { Router, type Request } from 'express';
import { z } from 'zod';
import { ANONYMOUS_PRINCIPAL, fileDeletedSchema, fileListSchema, fileObjectSchema, type Principal } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { createFileStore, fileObject } from '../files/file-store.js';
import { receiveUpload } from '../files/upload.js';
import { describeRoute } from '../openapi/registry.js';

/** The caller's tenant key; files and batches belong to it. */
export const ownerOf = (res: { locals: Record<string, unknown> }) => ((res.locals.principal as Principal | undefined) ?? ANONYMOUS_PRINCIPAL).sub;

const listQuery = z.object({
  after: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  order: z.enum(['asc', 'desc']).default('desc'),
  purpose: z.string().optional(),
});

const fileId = (req: Request) => String(req.params.id);

const fileParams = z.object({ id: z.string().meta({ description: 'The file id (`file-…`).' }) });
const fileRoute = { tags: ['Files'] };
describeRoute({
  ...fileRoute,
  method: 'post',
  path: '/v1/files',
  summary: 'Upload a file (multipart/form-data: `file` and `purpose=batch`)',
  description: 'Streamed to disk; size and line limits are FILES_MAX_BYTES and BATCH_MAX_LINES.',
  responses: { 200: { description: 'The stored file.', json: fileObjectSchema } },
  errors: [400, 413],
});
describeRoute({
  ...fileRoute,
  method: 'get',
  path: '/v1/files',
  summary: "List the caller's files",
  request: { query: listQuery },
  responses: { 200: { description: 'A page of files.', json: fileListSchema } },
  errors: [400],
});
describeRoute({
  ...fileRoute,
  method: 'get',
  path: '/v1/files/{id}',
  summary: 'Retrieve a file object',
  request: { params: fileParams },
  responses: { 200: { description: 'The file.', json: fileObjectSchema } },
  errors: [404],
});
describeRoute({
  ...fileRoute,
  method: 'get',
  path: '/v1/files/{id}/content',
  summary: "Download a file's content (JSONL)",
  request: { params: fileParams },
  responses: { 200: { description: 'The bytes of the file.', mediaType: 'application/octet-stream' } },
  errors: [404],
});
describeRoute({
  ...fileRoute,
  method: 'delete',
  path: '/v1/files/{id}',
  summary: 'Delete a file',
  request: { params: fileParams },
  responses: { 200: { description: 'Deleted.', json: fileDeletedSchema } },
  errors: [404],
});

/** OpenAI's Files API, for batch input and output files: upload, list, retrieve, content, delete. */
export function filesRouter(deps: ApiDeps): Router {
  const store = createFileStore(deps.redis, deps.config);
  return Router()
    .post('/v1/files', async (req, res) => {
      res.json(fileObject(await receiveUpload(req, store, ownerOf(res))));
    })
    .get('/v1/files', async (req, res) => {
      const query = listQuery.parse(req.query);
      const { files, hasMore } = await store.list(ownerOf(res), query);
      res.json({ object: 'list', data: files.map(fileObject), first_id: files[0]?.id ?? null, last_id: files.at(-1)?.id ?? null, has_more: hasMore });
    })
    .get('/v1/files/:id', async (req, res) => {
      res.json(fileObject(await store.get(fileId(req), ownerOf(res))));
    })
    .get('/v1/files/:id/content', async (req, res) => {
      const file = await store.get(fileId(req), ownerOf(res));
      res.status(200).set({ 'Content-Type': 'application/octet-stream', 'Content-Length': String(file.bytes) });
      const stream = store.read(file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    })
    .delete('/v1/files/:id', async (req, res) => {
      await store.remove(fileId(req), ownerOf(res));
      res.json({ id: fileId(req), object: 'file', deleted: true });
    });
}
