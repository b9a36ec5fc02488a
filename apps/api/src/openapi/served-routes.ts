import type { Express } from 'express';
import { toOpenApiPath, type HttpMethod } from './registry.js';

/** What router 2 keeps on a stack entry; not part of Express's typings. */
interface Layer {
  name: string;
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[]; handle?: unknown; set?: unknown };
}

export interface ServedRoute {
  /** `mount`: an Express sub-app (such as the BullMQ board) answers everything under `path`. */
  method: HttpMethod | 'mount';
  /** In OpenAPI form. */
  path: string;
}

const joinPaths = (prefix: string, path: string) => (prefix + (path === '/' ? '' : path)).replace(/\/{2,}/g, '/') || '/';

/** Every method and path the app's router answers, with nested routers' routes under their mount paths. */
export function servedRoutes(app: Express): ServedRoute[] {
  const found: ServedRoute[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of ([] as string[]).concat(layer.route.path)) {
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all') found.push({ method: method as HttpMethod, path: toOpenApiPath(joinPaths(prefix, path)) });
          }
        }
        continue;
      }
      const mounts = ([] as string[]).concat(layer.rawPath ?? '/');
      // A sub-app (app.use wraps it in `mounted_app`; router.use takes it as is) serves its own paths.
      const subApp = layer.name === 'mounted_app' || (typeof layer.handle.handle === 'function' && typeof layer.handle.set === 'function');
      if (subApp) for (const mount of mounts) found.push({ method: 'mount', path: toOpenApiPath(joinPaths(prefix, mount)) });
      const inner = layer.handle.stack;
      if (inner) for (const mount of mounts) walk(inner, joinPaths(prefix, mount));
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found;
}
