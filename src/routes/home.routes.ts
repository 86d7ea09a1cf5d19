import { Router } from 'express';
import { createHomeController } from '../controllers/home.controller';
import { createMetricsController } from '../controllers/metrics.controller';
import type { AppContext } from '../types/context';

export const JWKS_MAX_AGE_SECONDS = 60;

export function homeRoutes(ctx: AppContext): Router {
  const home = createHomeController(ctx);
  const router = Router();
  router.get('/', home.show);
  return router;
}

/**
 * For monitors and API clients, not browsers: app.ts mounts these ahead of cookies, sessions,
 * flash and CSRF, so a health check costs one database ping, sets no cookie, and keeps
 * answering quickly while a login storm fills the thread pool.
 */
export function machineRoutes(ctx: AppContext): Router {
  const home = createHomeController(ctx);
  const router = Router();
  router.get('/healthz', home.health);
  router.get('/readyz', home.ready);
  // Without METRICS_TOKEN, production does not serve the metrics at all (a 404, like any unknown path).
  if (ctx.config.metrics.token !== undefined || !ctx.config.isProduction) router.get('/metrics', createMetricsController(ctx).scrape);
  // A short max-age: a verifier that caches the set sees a rotation's new kid within a minute even
  // if it never refetches on an unknown kid (docs/key-rotation.md asks it to).
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).json(ctx.keys.jwks);
  });
  return router;
}
