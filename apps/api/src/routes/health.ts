import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { describeRoute } from '../openapi/registry.js';

describeRoute({
  method: 'get',
  path: '/health',
  summary: 'Liveness: the API process answers',
  tags: ['Operations'],
  responses: { 200: { description: 'Alive.', json: z.object({ status: z.literal('ok') }) } },
});
const readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  redis: z.boolean(),
  models: z.record(z.string(), z.boolean()),
  draining: z.boolean().meta({ description: 'The process is shutting down: it finishes what it holds and takes nothing new.' }),
});
describeRoute({
  method: 'get',
  path: '/ready',
  summary: 'Readiness: Redis answers, every model has a live worker, and the process is not shutting down',
  tags: ['Operations'],
  responses: { 200: { description: 'Ready.', json: readiness }, 503: { description: 'Not ready; the body says what is missing.', json: readiness } },
});

/** `GET /health`: the process answers. `GET /ready`: Redis answers, every model has a live worker, and no drain is under way. */
export function healthRouter(deps: ApiDeps): Router {
  return Router()
    .get('/health', (_req, res) => {
      res.json({ status: 'ok' });
    })
    .get('/ready', async (_req, res) => {
      // A draining process tells its load balancer at once, before anything else is asked.
      const draining = deps.drain.draining;
      const redis = await deps.redis.ping().then(
        () => true,
        () => false,
      );
      const models = Object.fromEntries(deps.models.map((spec) => [spec.id, deps.registry.hasLiveWorker(spec.id)]));
      const ready = !draining && redis && Object.values(models).every(Boolean);
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', redis, models, draining });
    });
}
