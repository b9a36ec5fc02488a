import express, { Router } from 'express';
import { describe, expect, it } from 'vitest';
import { toOpenApiPath } from './registry.js';
import { servedRoutes } from './served-routes.js';

describe('servedRoutes', () => {
  it('lists routes of the app, of nested routers under their mount paths, and of mounted sub-apps', () => {
    const app = express();
    app.get('/health', () => undefined);
    app.use(
      Router()
        .post('/v1/things', () => undefined)
        .get('/v1/things/:id', () => undefined),
    );
    app.use(
      '/v1/files',
      Router()
        .get('/', () => undefined)
        .delete('/:fileId', () => undefined),
    );
    const sub = express();
    sub.get('/api/queues', () => undefined);
    app.use('/admin/queues', sub);
    app.use(Router().use('/board', express()));
    app.use(express.json());
    expect(servedRoutes(app)).toEqual([
      { method: 'get', path: '/health' },
      { method: 'post', path: '/v1/things' },
      { method: 'get', path: '/v1/things/{id}' },
      { method: 'get', path: '/v1/files' },
      { method: 'delete', path: '/v1/files/{fileId}' },
      { method: 'mount', path: '/admin/queues' },
      { method: 'mount', path: '/board' },
    ]);
  });

  it('writes Express parameters the OpenAPI way', () => {
    expect(toOpenApiPath('/v1/models/{*id}')).toBe('/v1/models/{id}');
    expect(toOpenApiPath('/v1/jobs/:jobId/events')).toBe('/v1/jobs/{jobId}/events');
  });
});
