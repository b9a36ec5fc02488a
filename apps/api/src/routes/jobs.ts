import { Router } from 'express';
import { z } from 'zod';
import { asyncJobListSchema, asyncJobObjectSchema } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { describeRoute } from '../openapi/registry.js';
import { streamJobEvents } from '../jobs/event-stream.js';
import { ownerOf } from '../jobs/job-record.js';
import { cancelJob, getJob, listJobs } from '../jobs/job-store.js';

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).optional(),
});

const jobParams = z.object({ id: z.string().meta({ description: 'The job id (`job_…`).' }) });
const jobResponse = { 200: { description: 'The job object.', json: asyncJobObjectSchema } };
describeRoute({
  method: 'get',
  path: '/v1/jobs',
  summary: "List the caller's async jobs, newest first",
  tags: ['Jobs'],
  request: { query: listQuery },
  responses: { 200: { description: 'A page of jobs.', json: asyncJobListSchema } },
  errors: [400],
});
/** What the two routes on one job share: they answer with the job object, or 404. */
const oneJobRoute = { tags: ['Jobs'], request: { params: jobParams }, responses: jobResponse, errors: [404] };
describeRoute({ ...oneJobRoute, method: 'get', path: '/v1/jobs/{id}', summary: 'Poll an async job' });
describeRoute({ ...oneJobRoute, method: 'post', path: '/v1/jobs/{id}/cancel', summary: 'Cancel an async job (a running generation is aborted)' });
describeRoute({
  method: 'get',
  path: '/v1/jobs/{id}/events',
  summary: "Stream a job's events, resumable with Last-Event-ID or ?starting_after=N",
  description: 'Server-sent events: the chunks a stream would give, each with `id: <sequence_number>`; replays and closes once the job has ended.',
  tags: ['Jobs'],
  request: { params: jobParams, query: z.object({ starting_after: z.coerce.number().int().min(-1).optional() }) },
  responses: { 200: { description: '`text/event-stream` of chunks.', mediaType: 'text/event-stream' } },
  errors: [400, 404],
});

/** Async jobs: poll, list, cancel, and stream (or resume) their events. */
export function jobsRouter(deps: ApiDeps): Router {
  return Router()
    .get('/v1/jobs', async (req, res) => {
      res.json(await listJobs(deps, ownerOf(res), listQuery.parse(req.query)));
    })
    .get('/v1/jobs/:id', async (req, res) => {
      res.json(await getJob(deps, req.params.id, ownerOf(res)));
    })
    .post('/v1/jobs/:id/cancel', async (req, res) => {
      res.json(await cancelJob(deps, req.params.id, ownerOf(res)));
    })
    .get('/v1/jobs/:id/events', (req, res) => streamJobEvents(deps, req, res));
}
