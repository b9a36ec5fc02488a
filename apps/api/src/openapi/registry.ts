import type { ZodObject, ZodType } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One response of an operation: a JSON body, an SSE stream of JSON events, or another media type. */
export interface ResponseDescription {
  description: string;
  json?: ZodType;
  /** `text/event-stream`: each `data:` line is one JSON value of this schema. */
  sse?: ZodType;
  /** Any other media type (HTML, Prometheus text) with a plain string body. */
  mediaType?: string;
}

/**
 * The OpenAPI description of one route, registered beside the route itself with `describeRoute`.
 * Paths are written the OpenAPI way (`/v1/models/{id}`); Express's `:id` and `{*id}` map onto them.
 */
export interface RouteDescription {
  method: HttpMethod;
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  request?: { body?: ZodType; params?: ZodObject; query?: ZodObject };
  /** Success responses by status. */
  responses: Record<number, ResponseDescription>;
  /** Error statuses the route answers with an OpenAI error body (401/403 and 500 are added for you). */
  errors?: number[];
}

/** A subtree served by a library (the BullMQ board): documented by its entry page, not route by route. */
export interface MountDescription {
  path: string;
  summary: string;
  tags: string[];
}

const routes = new Map<string, RouteDescription>();
const mounts = new Map<string, MountDescription>();

/** Registers a route's description; registering the same method and path again replaces it. */
export function describeRoute(route: RouteDescription): void {
  routes.set(`${route.method} ${route.path}`, route);
}

/** Registers a mounted UI whose inner routes the library owns (documented as `GET <path>`, HTML). */
export function describeMount(mount: MountDescription): void {
  mounts.set(mount.path, mount);
}

export function describedRoutes(): RouteDescription[] {
  const fromMounts = [...mounts.values()].map((mount): RouteDescription => ({
    method: 'get',
    path: mount.path,
    summary: mount.summary,
    tags: mount.tags,
    responses: { 200: { description: 'An HTML page.', mediaType: 'text/html' } },
  }));
  return [...routes.values(), ...fromMounts];
}

export function describedMounts(): MountDescription[] {
  return [...mounts.values()];
}

/** `/v1/models/:id` and `/v1/models/{*id}` → `/v1/models/{id}`; optional groups `{/:x}` are kept whole. */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/\{\*(\w+)\}/g, '{$1}').replace(/[:*](\w+)/g, '{$1}');
}
