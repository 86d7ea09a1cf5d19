import { Router } from 'express';
import { createMeController, PROFILE_TITLE } from '../controllers/me.controller';
import { form } from '../middleware/form';
import { requireUuidParam } from '../middleware/params';
import { requireUser } from '../middleware/require-auth';
import { validate } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { passwordChangeForm, profileUpdate } from '../validators/me.validators';

export function meRoutes(ctx: AppContext): Router {
  const me = createMeController(ctx);
  const limits = ctx.rateLimits;
  const profilePage = { view: 'me/profile', title: PROFILE_TITLE, load: me.profileLocals, name: 'profile' };
  const passwordPage = { ...profilePage, name: 'password' };
  const router = Router();
  router.use(requireUser);
  router.get('/', me.show);
  router.post('/', form(profilePage), validate(...profileUpdate), limits.passwordCheck, me.update);
  router.post('/password', form(passwordPage), validate(...passwordChangeForm), limits.passwordCheck, me.changePassword);
  router.get('/sessions', me.sessions);
  router.post('/sessions/revoke-others', me.revokeOtherSessions);
  router.post('/sessions/:id/revoke', requireUuidParam('id'), me.revokeSession);
  return router;
}
