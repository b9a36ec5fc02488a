import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '@spool/api';
import { routeAccess } from '../apps/api/src/auth/route-scopes.js';
import { describedMounts } from '../apps/api/src/openapi/registry.js';
import { servedRoutes } from '../apps/api/src/openapi/served-routes.js';
import { startSpool, type Spool } from './helpers/spool-harness.js';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[]; requestBody?: unknown }>>;
}

describe('/openapi.json', () => {
  let spool: Spool;
  let document: OpenApiDocument;

  beforeAll(async () => {
    spool = await startSpool();
    const response = await fetch(`${spool.url}/openapi.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as OpenApiDocument;
  });
  afterAll(async () => {
    await spool?.close();
  });

  it('validates as OpenAPI 3.1', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every route the app serves, and nothing it does not', () => {
    const app = createApp(spool.api.deps);
    const served = servedRoutes(app);
    // A sub-app (the BullMQ board) serves its own paths under its mount; it is described by its entry page.
    const mounts = served.filter((route) => route.method === 'mount').map((route) => route.path);
    expect(mounts.sort()).toEqual(
      describedMounts()
        .map((mount) => mount.path)
        .sort(),
    );
    expect(mounts).toContain('/admin/queues');
    const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
    const servedKeys = new Set(served.map((route) => key(route.method === 'mount' ? 'get' : route.method, route.path)));
    const described = new Set(Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => key(method, path))));
    expect(
      [...servedKeys].filter((route) => !described.has(route)),
      'served but not in /openapi.json',
    ).toEqual([]);
    expect(
      [...described].filter((route) => !servedKeys.has(route)),
      'in /openapi.json but not served',
    ).toEqual([]);
    expect(servedKeys.has('POST /v1/chat/completions')).toBe(true);
    expect(servedKeys.has('GET /v1/models/{id}')).toBe(true);
  });

  it('gives each generation route its zod request body, its success body and OpenAI error bodies', () => {
    const chat = document.paths['/v1/chat/completions']!.post!;
    const body = chat.requestBody as { content: { 'application/json': { schema: { properties: Record<string, unknown>; required: string[] } } } };
    expect(Object.keys(body.content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['model', 'messages', 'max_tokens', 'stream']));
    expect(body.content['application/json'].schema.required).toEqual(expect.arrayContaining(['model', 'messages']));
    expect(Object.keys(chat.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '429', '500', '503']));
    expect(chat.responses['400']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    expect(chat.security).toEqual([{ bearerAuth: ['generate'] }]);
    expect(document.paths['/health']!.get!.security).toBeUndefined();
  });

  it('takes the bearer scope of every operation from the table the auth middleware enforces (test/security.int.test.ts checks the enforcing)', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      const access = routeAccess(path);
      for (const operation of Object.values(item)) {
        expect(operation.security, path).toEqual(access.public ? undefined : [{ bearerAuth: access.scope ? [access.scope] : [] }]);
      }
    }
    expect(document.paths['/metrics']!.get!.security).toEqual([{ bearerAuth: ['admin'] }]);
    expect(document.paths['/dashboard/data']!.get!.security).toEqual([{ bearerAuth: ['admin'] }]);
    expect(document.paths['/dashboard']!.get!.security).toBeUndefined();
  });
});
