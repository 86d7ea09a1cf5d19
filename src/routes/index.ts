import { Router } from 'express';
import type { AppContext } from '../types/context';
import { apiRoutes } from './api.routes';
import { authRoutes } from './auth.routes';
import { homeRoutes } from './home.routes';
import { meRoutes } from './me.routes';

/** Every route of the app, by resource. Express matches paths case-insensitively: gates live on routers. */
export function routes(ctx: AppContext): Router {
  const router = Router();
  router.use('/', homeRoutes(ctx));
  router.use('/auth', authRoutes(ctx));
  router.use('/me', meRoutes(ctx));
  router.use('/api', apiRoutes(ctx));
  return router;
}
