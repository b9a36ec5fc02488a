import { describe, expect, it } from 'vitest';
import { routeAccess } from './route-scopes.js';

describe('routeAccess', () => {
  it.each([
    ['/v1/chat/completions', 'generate'],
    ['/v1/chat/completions/stream', 'generate'],
    ['/v1/completions', 'generate'],
    ['/v1/models', 'generate'],
    ['/v1/models/stories260K', 'generate'],
    ['/V1/MODELS/', 'generate'],
    ['/v1/jobs/job_1/events', 'generate'],
    ['/v1/files', 'batch'],
    ['/v1/files/file-1/content', 'batch'],
    ['/v1/batches', 'batch'],
    ['/v1/functions', 'functions'],
    ['/v1/functions/echo/invoke', 'functions'],
    ['/metrics', 'admin'],
    ['/dashboard/data', 'admin'],
    ['/admin/queues', 'admin'],
    ['//admin//queues', 'admin'],
    ['/v1/unknown', null],
    ['/v1', null],
  ])('%s needs %s', (path, scope) => {
    expect(routeAccess(path)).toEqual({ public: false, scope });
  });

  it.each(['/health', '/ready', '/', '/favicon.ico', '/v10/models', '/metricsx', '/dashboard', '/dashboard/dashboard.js', '/docs', '/openapi.json'])(
    '%s is public',
    (path) => {
      expect(routeAccess(path)).toEqual({ public: true });
    },
  );
});
