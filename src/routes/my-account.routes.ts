import { Router } from 'express';
import { createMyAccountApiController } from '../controllers/api/my-account.api.controller';
import { createMyAccountController, MY_ACCOUNT_PAGES } from '../controllers/my-account.controller';
import { form } from '../middleware/form';
import { requireUser } from '../middleware/require-auth';
import { validate, validateQuery } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { activityQuery, deleteAccountForm, exportForm } from '../validators/my-account.validators';

/** Mounted at /me: the user's own security activity, their data and the deletion of their account. */
export function myAccountRoutes(ctx: AppContext): Router {
  const mine = createMyAccountController(ctx);
  const limits = ctx.rateLimits;
  const deletePage = { ...MY_ACCOUNT_PAGES.delete, load: mine.deleteLocals };
  const router = Router();
  router.get('/activity', requireUser, validateQuery(...activityQuery), mine.activity);
  router.get('/data', requireUser, mine.showData);
  router.post('/export', requireUser, form(MY_ACCOUNT_PAGES.data), validate(...exportForm), limits.passwordCheck, mine.exportData);
  router.get('/delete', requireUser, mine.showDelete);
  router.post('/delete', requireUser, form(deletePage), validate(...deleteAccountForm), limits.passwordCheck, mine.deleteAccount);
  return router;
}

/** Mounted at /api before apiRoutes (which ends in its 404). */
export function myAccountApiRoutes(ctx: AppContext): Router {
  const mine = createMyAccountApiController(ctx);
  const limits = ctx.rateLimits;
  const router = Router();
  router.get('/me/activity', requireUser, validateQuery(...activityQuery), mine.activity);
  router.get('/me/export', requireUser, mine.exportData);
  router.delete('/me', requireUser, validate(...deleteAccountForm), limits.passwordCheck, mine.deleteAccount);
  return router;
}
