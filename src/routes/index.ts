import { Router } from 'express';
import type { AppContext } from '../types/context';
import { accountApiRoutes, accountProfileRoutes, accountRoutes, unverifiedEmailPages } from './account.routes';
import { adminRoutes } from './admin.routes';
import { apiRoutes } from './api.routes';
import { articlesRoutes } from './articles.routes';
import { authRoutes } from './auth.routes';
import { devMailRoutes } from './dev-mail.routes';
import { homeRoutes } from './home.routes';
import { languageRoutes } from './language.routes';
import { meRoutes } from './me.routes';
import { myAccountApiRoutes, myAccountRoutes } from './my-account.routes';
import { mfaApiRoutes, mfaLoginRoutes } from './mfa.routes';
import { reauthRoutes, securityRoutes } from './security.routes';

/** Every route of the app, by resource. Express matches paths case-insensitively: gates live on routers. */
export function routes(ctx: AppContext): Router {
  const router = Router();
  router.use('/', homeRoutes(ctx));
  router.use('/language', languageRoutes(ctx));
  router.use('/auth', authRoutes(ctx));
  router.use('/auth', accountRoutes(ctx));
  router.use('/auth', mfaLoginRoutes(ctx));
  router.use('/auth', unverifiedEmailPages(ctx));
  router.use('/me/security', securityRoutes(ctx));
  router.use('/me/confirm', reauthRoutes(ctx));
  router.use('/me', accountProfileRoutes(ctx));
  router.use('/me', myAccountRoutes(ctx));
  router.use('/me', meRoutes(ctx));
  router.use('/articles', articlesRoutes(ctx));
  router.use('/admin', adminRoutes(ctx));
  router.use('/api', accountApiRoutes(ctx));
  router.use('/api', mfaApiRoutes(ctx));
  router.use('/api', myAccountApiRoutes(ctx));
  router.use('/api', apiRoutes(ctx));
  // The mail outbox holds working links: never in production, whatever else is configured.
  if (!ctx.config.isProduction) router.use('/dev/mail', devMailRoutes(ctx));
  return router;
}
