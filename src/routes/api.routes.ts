import { Router } from 'express';
import { createAuthApiController } from '../controllers/api/auth.api.controller';
import { createMeApiController } from '../controllers/api/me.api.controller';
import { notFound } from '../middleware/not-found';
import { requireUser } from '../middleware/require-auth';
import { validate } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { loginApi, refreshApi, registerApi } from '../validators/auth.validators';
import { profileUpdate } from '../validators/me.validators';

export function apiRoutes(ctx: AppContext): Router {
  const auth = createAuthApiController(ctx);
  const me = createMeApiController(ctx);
  const router = Router();
  router.post('/auth/register', validate(...registerApi), auth.register);
  router.post('/auth/login', validate(...loginApi), auth.login);
  router.post('/auth/refresh', validate(...refreshApi), auth.refresh);
  router.post('/auth/logout', validate(...refreshApi), auth.logout);
  router.get('/me', requireUser, me.show);
  router.patch('/me', requireUser, validate(...profileUpdate), me.update);
  router.use(notFound);
  return router;
}
