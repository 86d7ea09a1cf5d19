import { Router } from 'express';
import { createAdminController } from '../controllers/admin.controller';
import { msg } from '../lib/i18n';
import { form } from '../middleware/form';
import { requireUuidParam } from '../middleware/params';
import { requireRecentAuth } from '../middleware/recent-auth';
import { requireRole } from '../middleware/require-auth';
import { requireMfaForAdmins } from '../middleware/require-mfa-for-admins';
import { validate, validateQuery } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { accountForm, auditQuery, userListQuery } from '../validators/admin.validators';

/**
 * Admins only, for every path and method under /admin (in any letter case). `:id` is a public_id.
 * Role and access changes and second-factor resets are sensitive: sudo mode (requireRecentAuth).
 */
export function adminRoutes(ctx: AppContext): Router {
  const admin = createAdminController(ctx);
  const userPage = { view: 'admin/user', title: msg('admin.user.title') };
  const userId = requireUuidParam('id');
  const recent = requireRecentAuth(ctx);
  const router = Router();
  router.use(requireRole('admin'));
  router.use(requireMfaForAdmins(ctx));
  router.get('/', admin.dashboard);
  router.get('/users', validateQuery(...userListQuery), admin.users);
  router.get('/users/:id', userId, admin.loadUser, admin.showUser);
  router.post('/users/:id', userId, recent, admin.loadUser, form(userPage), validate(...accountForm), admin.updateUser);
  router.post('/users/:id/revoke-sessions', userId, admin.revokeSessions);
  router.post('/users/:id/mfa/reset', userId, recent, admin.resetMfa);
  router.post('/users/:id/force-password-reset', userId, recent, admin.forcePasswordReset);
  router.get('/audit', validateQuery(...auditQuery), admin.audit);
  return router;
}
