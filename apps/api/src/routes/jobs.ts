import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { streamJobEvents } from '../jobs/event-stream.js';
import { ownerOf } from '../jobs/job-record.js';
import { cancelJob, getJob, listJobs } from '../jobs/job-store.js';

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).optional(),
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
