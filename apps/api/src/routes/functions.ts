import { Router } from 'express';
import type { ApiDeps } from '../deps.js';
import type { SpoolFunction } from '../functions/registry.js';

/** A registry function in OpenAI's tool format. */
export const toolOf = (fn: SpoolFunction) => ({ type: 'function', function: { name: fn.name, description: fn.description, parameters: fn.parameters } });

/** `GET /v1/functions` lists the registry; `POST /v1/functions/{name}` calls one with a JSON body of arguments. */
export function functionsRouter(deps: ApiDeps): Router {
  const { registry } = deps.functions;
  return Router()
    .get('/v1/functions', function listFunctions(_req, res) {
      res.json({ object: 'list', data: registry.list().map(toolOf) });
    })
    .post('/v1/functions/:name', async function callFunction(req, res) {
      const name = String(req.params.name);
      const result = await registry.call(name, req.body ?? {});
      res.json({ name, result });
    });
}
