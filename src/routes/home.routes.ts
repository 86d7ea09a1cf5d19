import { Router } from 'express';
import { createHomeController } from '../controllers/home.controller';
import type { AppContext } from '../types/context';

export function homeRoutes(ctx: AppContext): Router {
  const home = createHomeController(ctx);
  const router = Router();
  router.get('/', home.show);
  router.get('/healthz', home.health);
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(ctx.keys.jwks);
  });
  return router;
}
