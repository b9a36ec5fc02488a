import { Router } from 'express';
import type { ApiDeps } from '../deps.js';
import { registerLiveGauges } from '../metrics/live-gauges.js';
import { describeRoute } from '../openapi/registry.js';

describeRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics',
  description: 'Requests, latencies, tokens, cache, queues, workers, errors and batches in the Prometheus text format. See docs/observability.md.',
  tags: ['Operations'],
  responses: { 200: { description: 'Prometheus text exposition format 0.0.4.', mediaType: 'text/plain' } },
});

/** `GET /metrics`: the Prometheus scrape endpoint. */
export function metricsRouter(deps: ApiDeps): Router {
  registerLiveGauges(deps);
  const registry = deps.metrics.prometheus.registry;
  return Router().get('/metrics', async (_req, res) => {
    const body = await registry.metrics();
    res.set('Content-Type', registry.contentType).send(body);
  });
}
