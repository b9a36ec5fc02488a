import { Router } from 'express';
import { z } from 'zod';
import { modelCapabilities, modelListSchema, modelObjectSchema, type ModelSpec } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { mayUseModel } from '../auth/model-access.js';
import { describeRoute } from '../openapi/registry.js';
import { resolveModel } from '../resolve-model.js';

describeRoute({
  method: 'get',
  path: '/v1/models',
  summary: 'List the models that have a live worker',
  tags: ['Models'],
  responses: { 200: { description: 'The served models.', json: modelListSchema } },
});
describeRoute({
  method: 'get',
  path: '/v1/models/{id}',
  summary: 'Retrieve a model by id or alias',
  tags: ['Models'],
  request: { params: z.object({ id: z.string().meta({ description: 'A model id or alias; may contain slashes.' }) }) },
  responses: { 200: { description: 'The model.', json: modelObjectSchema } },
  errors: [404, 503],
});

/** Start-up time stands in for a model's creation time: Spool does not know when weights were made. */
const created = Math.floor(Date.now() / 1000);
const modelObject = (spec: ModelSpec) => ({ id: spec.id, object: 'model', created, owned_by: 'spool', capabilities: modelCapabilities(spec) });

/** `GET /v1/models` lists the models with a live worker; `GET /v1/models/{id}` resolves aliases. */
export function modelsRouter(deps: ApiDeps): Router {
  return Router()
    .get('/v1/models', (_req, res) => {
      const live = deps.models.filter((spec) => deps.registry.hasLiveWorker(spec.id) && mayUseModel(res.locals.principal, spec.id, deps.models));
      res.json({ object: 'list', data: live.map(modelObject) });
    })
    .get('/v1/models/{*id}', (req, res) => {
      const id = ([] as string[]).concat((req.params as { id: string | string[] }).id).join('/');
      res.json(modelObject(resolveModel(deps, id).spec));
    });
}
