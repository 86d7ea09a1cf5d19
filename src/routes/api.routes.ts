import { Router } from 'express';
import { createAdminApiController } from '../controllers/api/admin.api.controller';
import { createArticlesApiController } from '../controllers/api/articles.api.controller';
import { createAuthApiController } from '../controllers/api/auth.api.controller';
import { createMeApiController } from '../controllers/api/me.api.controller';
import { createOpenApiController } from '../controllers/api/openapi.api.controller';
import { notFound } from '../middleware/not-found';
import { requireRole, requireUser } from '../middleware/require-auth';
import { requireMfaForAdmins } from '../middleware/require-mfa-for-admins';
import { validate, validateQuery } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { loginApi, refreshApi, registerApi } from '../validators/auth.validators';
import { userListQuery } from '../validators/admin.validators';
import { articleIdParam } from '../validators/article.validators';
import { pageQueries } from '../validators/page.validators';
import { profileUpdate } from '../validators/me.validators';

export function apiRoutes(ctx: AppContext): Router {
  const auth = createAuthApiController(ctx);
  const me = createMeApiController(ctx);
  const admin = createAdminApiController(ctx);
  const articles = createArticlesApiController(ctx);
  const openApi = createOpenApiController(ctx);
  const limits = ctx.rateLimits;
  const router = Router();
  router.post('/auth/register', limits.register, validate(...registerApi), auth.register);
  router.post('/auth/login', limits.login, validate(...loginApi), auth.login);
  router.post('/auth/refresh', validate(...refreshApi), auth.refresh);
  router.post('/auth/logout', validate(...refreshApi), auth.logout);
  router.get('/me', requireUser, me.show);
  router.patch('/me', requireUser, validate(...profileUpdate), limits.passwordCheck, me.update);
  router.get('/admin/users', requireRole('admin'), requireMfaForAdmins(ctx), validateQuery(...userListQuery), admin.users);
  router.get('/articles', requireRole('reader'), validateQuery(...pageQueries('id')), articles.index);
  router.get('/articles/:id', requireRole('reader'), articleIdParam, articles.show);
  router.get('/openapi.json', openApi.show);
  router.use(notFound);
  return router;
}
