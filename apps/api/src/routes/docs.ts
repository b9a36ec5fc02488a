import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import type { ApiDeps } from '../deps.js';
import { buildOpenApiDocument } from '../openapi/document.js';
import { describeRoute } from '../openapi/registry.js';

const require = createRequire(import.meta.url);
const swaggerUiDir = dirname(require.resolve('swagger-ui-dist/package.json'));
const version = (require('../../package.json') as { version: string }).version;
const staticDir = fileURLToPath(new URL('../../static/docs/', import.meta.url));

describeRoute({
  method: 'get',
  path: '/openapi.json',
  summary: 'This OpenAPI 3.1 description',
  description: 'Generated at start-up from the zod schemas the routes validate with.',
  tags: ['Documentation'],
  responses: { 200: { description: 'The OpenAPI document.', mediaType: 'application/json' } },
});
describeRoute({
  method: 'get',
  path: '/docs',
  summary: 'Interactive API documentation',
  description: 'Swagger UI, served from the swagger-ui-dist package (works offline). "Authorize" takes a bearer token for "Try it out".',
  tags: ['Documentation'],
  responses: { 200: { description: 'An HTML page.', mediaType: 'text/html' } },
});

/** `GET /openapi.json` and the Swagger UI at `/docs`, its files from npm rather than a CDN. */
export function docsRouter(_deps: ApiDeps): Router {
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  return Router()
    .get('/openapi.json', (_req, res) => {
      // Built on first use, once every route module has registered its description.
      document ??= buildOpenApiDocument({ version });
      res.json(document);
    })
    .get('/docs', (_req, res) => {
      res.sendFile('index.html', { root: staticDir });
    })
    .use('/docs', express.static(staticDir, { index: false }), express.static(swaggerUiDir, { index: false }));
}
