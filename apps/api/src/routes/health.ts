import { Router } from 'express';
import type { ApiDeps } from '../deps.js';

/** `GET /health`: the process answers. `GET /ready`: Redis answers and every model has a live worker. */
export function healthRouter(deps: ApiDeps): Router {
  return Router()
    .get('/health', (_req, res) => {
      res.json({ status: 'ok' });
    })
    .get('/ready', async (_req, res) => {
      const redis = await deps.redis.ping().then(() => true, () => false);
      const models = Object.fromEntries(deps.models.map((spec) => [spec.id, deps.registry.hasLiveWorker(spec.id)]));
      const ready = redis && Object.values(models).every(Boolean);
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', redis, models });
    });
}
