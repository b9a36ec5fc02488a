import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import { errorResponseSchema } from '@spool/shared';
import { routeAccess } from '../auth/route-scopes.js';
import { describedRoutes, type ResponseDescription, type RouteDescription } from './registry.js';

const errorBody = errorResponseSchema.meta({ id: 'Error', description: 'The OpenAI error shape.' });

const ERROR_MEANINGS: Record<number, string> = {
  400: 'The request is invalid (`invalid_request_error`; `param` names the field).',
  401: 'The bearer token is missing or invalid.',
  403: 'The token lacks the scope or model this route needs.',
  404: 'No such resource, model or route.',
  409: 'The resource is in a state that forbids this change.',
  413: 'The request body is too large.',
  422: 'The request is well-formed but cannot be processed.',
  429: 'A rate limit or the model queue is full; retry after `Retry-After` seconds.',
  500: 'The server had an error; the body never holds a stack trace.',
  503: 'No worker serves the model right now, or the request waited too long; retry after `Retry-After`.',
};

function response(success: ResponseDescription): ZodOpenApiResponseObject {
  if (success.json) return { description: success.description, content: { 'application/json': { schema: success.json } } };
  if (success.sse) return { description: success.description, content: { 'text/event-stream': { schema: success.sse } } };
  if (success.mediaType) return { description: success.description, content: { [success.mediaType]: { schema: { type: 'string' } } } };
  return { description: success.description };
}

function operation(route: RouteDescription): ZodOpenApiOperationObject {
  // What a route needs comes from the table the auth middleware enforces, never from the description.
  const access = routeAccess(route.path);
  const scope = access.public ? null : access.scope;
  const errors = new Set([...(route.errors ?? []), ...(access.public ? [] : [401]), ...(scope ? [403] : []), 500]);
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, success] of Object.entries(route.responses)) responses[status] = response(success);
  for (const status of [...errors].sort()) {
    responses[String(status)] = { description: ERROR_MEANINGS[status] ?? 'An error.', content: { 'application/json': { schema: errorBody } } };
  }
  const scopeNote = access.public ? '' : scope ? `\n\nNeeds a bearer token with the \`${scope}\` scope.` : '\n\nNeeds a valid bearer token.';
  return {
    operationId: `${route.method}${route.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: route.summary,
    description: (route.description ?? '') + scopeNote || undefined,
    tags: route.tags,
    ...(access.public ? {} : { security: [{ bearerAuth: scope ? [scope] : [] }] }),
    ...(route.request?.params || route.request?.query
      ? {
          requestParams: {
            ...(route.request.params ? { path: route.request.params } : {}),
            ...(route.request.query ? { query: route.request.query } : {}),
          },
        }
      : {}),
    ...(route.request?.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.request.body } } } } : {}),
    responses: responses as ZodOpenApiOperationObject['responses'],
  };
}

/** The OpenAPI 3.1 document of every described route, generated from the routes' zod schemas. */
export function buildOpenApiDocument(options: { version: string }): ReturnType<typeof createDocument> {
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  const routes = describedRoutes().sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operation(route);
  const tags = [...new Set(routes.flatMap((route) => route.tags))].map((name) => ({ name }));
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Spool',
      version: options.version,
      description: 'A self-hosted, OpenAI-compatible text-generation service. Use any OpenAI client with `baseURL` set to this server plus `/v1`.',
    },
    tags,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT whose `scope` claim holds the scopes a route needs.' },
      },
    },
    paths,
  });
}
