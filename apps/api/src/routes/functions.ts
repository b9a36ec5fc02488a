import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { describeRoute } from '../openapi/registry.js';
import type { SpoolFunction } from '../functions/registry.js';

/** A registry function in OpenAI's tool format. */
export const toolOf = (fn: SpoolFunction) => ({ type: 'function', function: { name: fn.name, description: fn.description, parameters: fn.parameters } });

const toolSchema = z.object({
  type: z.literal('function'),
  function: z.object({ name: z.string(), description: z.string(), parameters: z.record(z.string(), z.unknown()) }),
});
describeRoute({
  method: 'get',
  path: '/v1/functions',
  summary: 'List the server-side functions, in OpenAI tool format',
  tags: ['Functions'],
  responses: { 200: { description: 'The registry.', json: z.object({ object: z.literal('list'), data: z.array(toolSchema) }) } },
});
describeRoute({
  method: 'post',
  path: '/v1/functions/{name}',
  summary: 'Call a server-side function with a JSON object of arguments',
  description: "The arguments are validated against the function's JSON Schema; 504 when the handler runs over its time limit.",
  tags: ['Functions'],
  request: {
    params: z.object({ name: z.string().meta({ description: 'The function name.' }) }),
    body: z.record(z.string(), z.unknown()).meta({ description: 'The arguments object.' }),
  },
  responses: { 200: { description: 'The result.', json: z.object({ name: z.string(), result: z.unknown() }) } },
  errors: [400, 404, 504],
});

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
