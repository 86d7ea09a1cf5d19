import type { Express } from 'express';
import { match } from 'path-to-regexp';

/** One route as the routers declare it: `{ method: 'post', path: '/api/auth/login' }`. */
export interface RouteEntry {
  method: string;
  path: string;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/**
 * Every route of the app with its full path pattern, read once from the routers (the mount paths
 * of `router.use('/api', …)` and each route's own path). The HTTP metrics label a request with
 * its route's pattern (`/articles/:id`), never the raw path, and the OpenAPI test compares this
 * list with the description. Reads Express 5's router stack (router 2.x `Layer#rawPath`).
 */
export interface RouteTable {
  routes: RouteEntry[];
  /** The full pattern of a route object Express set as `req.route`. */
  patternOf(route: unknown): string | undefined;
  /**
   * The pattern a request would have reached when no route ran for it (a router-wide gate such
   * as /admin's role check refused it first), matched as Express matches: any case, a trailing slash allowed.
   */
  patternFor(method: string, path: string): string | undefined;
}

export function readRouteTable(app: Express): RouteTable {
  const patterns = new WeakMap<object, string>();
  const routes: RouteEntry[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = joinPath(prefix, layer.route.path);
        patterns.set(layer.route, path);
        for (const method of Object.keys(layer.route.methods)) routes.push({ method, path });
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, typeof layer.rawPath === 'string' ? joinPath(prefix, layer.rawPath) : prefix);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  const matchers = routes.map((route) => ({ ...route, matches: match(route.path, { sensitive: false, trailing: true, decode: false }) }));
  return {
    routes,
    patternOf: (route) => (route && typeof route === 'object' ? patterns.get(route) : undefined),
    patternFor(method, path) {
      const wanted = method === 'HEAD' ? 'get' : method.toLowerCase();
      return matchers.find((route) => route.method === wanted && route.matches(path) !== false)?.path;
    },
  };
}

function joinPath(prefix: string, path: string): string {
  if (path === '/') return prefix || '/';
  return `${prefix === '/' ? '' : prefix}${path}`;
}
