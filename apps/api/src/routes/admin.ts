import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { dashboardData } from '../admin/dashboard-data.js';
import { createQueueBoard } from '../admin/queue-board.js';
import { describeMount, describeRoute } from '../openapi/registry.js';
import { queueSetOf } from '../queue/queue-set.js';

const staticDir = fileURLToPath(new URL('../../static/dashboard/', import.meta.url));
const nullableNumber = z.number().nullable();
const dashboardDataSchema = z
  .object({
    at: z.number().int(),
    rates: z.object({ requestsPerSecond: z.number(), tokensPerSecond: z.number(), errorsPerSecond: z.number() }),
    ttft: z.object({ p50Ms: nullableNumber, p95Ms: nullableNumber, samples: z.number().int() }),
    cache: z.object({
      counts: z.record(z.string(), z.number().int()),
      hitRatio: z.object({ l1: nullableNumber, l2: nullableNumber, l3: nullableNumber, total: nullableNumber }),
    }),
    queues: z.array(z.object({ queue: z.string(), label: z.string(), waiting: z.number().int(), active: z.number().int(), delayed: z.number().int() })),
    workers: z.array(
      z.object({
        workerId: z.string(),
        model: z.string(),
        engine: z.string(),
        gpus: z.array(z.string()),
        slots: z.number().int(),
        busySlots: z.number().int(),
        waiting: z.number().int(),
        memoryBytes: z.number(),
        memoryKind: z.enum(['vram', 'ram']),
        seenAt: z.number().int(),
      }),
    ),
    batches: z.array(z.object({ id: z.string(), status: z.string(), total: z.number().int(), completed: z.number().int(), failed: z.number().int() })),
    errors: z.array(
      z.object({
        at: z.number(),
        requestId: z.string(),
        route: z.string(),
        model: z.string().optional(),
        status: z.number().int(),
        type: z.string(),
        code: z.string().nullable(),
        message: z.string(),
      }),
    ),
    series: z.array(z.object({ t: z.number().int(), requests: z.number(), tokens: z.number(), errors: z.number() })),
  })
  .meta({ id: 'DashboardData', description: "This API replica's live view: rates over 10 s, TTFT over 60 s, series over 10 min." });

describeRoute({
  method: 'get',
  path: '/dashboard',
  summary: 'Live dashboard',
  description: 'An HTML page that polls `/dashboard/data` every second.',
  tags: ['Operations'],
  responses: { 200: { description: 'An HTML page.', mediaType: 'text/html' } },
});
describeRoute({
  method: 'get',
  path: '/dashboard/data',
  summary: 'The numbers behind the dashboard',
  tags: ['Operations'],
  responses: { 200: { description: 'Rates, latencies, cache, queues, workers, batches, errors and the 10-minute series.', json: dashboardDataSchema } },
  errors: [503],
});
describeMount({ path: '/admin/queues', summary: 'BullMQ board (queues and jobs)', tags: ['Operations'] });

/** The operator's pages: the live dashboard and the BullMQ board (what each needs: auth/route-scopes.ts). */
export function adminRouter(deps: ApiDeps): Router {
  return Router()
    .get('/dashboard', (_req, res) => {
      res.sendFile('index.html', { root: staticDir });
    })
    .get('/dashboard/data', async (_req, res) => {
      res.set('Cache-Control', 'no-store').json(await dashboardData(deps));
    })
    .use('/dashboard', express.static(staticDir, { index: false }))
    .use('/admin/queues', createQueueBoard(queueSetOf(deps), '/admin/queues'));
}
