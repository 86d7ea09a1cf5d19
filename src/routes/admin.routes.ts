import { Router } from 'express';
import { createAdminController } from '../controllers/admin.controller';
import { form } from '../middleware/form';
import { requireUuidParam } from '../middleware/params';
import { requireRole } from '../middleware/require-auth';
import { validate, validateQuery } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { accountForm, auditQuery, userListQuery } from '../validators/admin.validators';

/** Admins only, for every path and method under /admin (in any letter case). `:id` is a public_id. */
export function adminRoutes(ctx: AppContext): Router {
  const admin = createAdminController(ctx);
  const userPage = { view: 'admin/user', title: 'User' };
  const userId = requireUuidParam('id');
  const router = Router();
  router.use(requireRole('admin'));
  router.get('/', admin.dashboard);
  router.get('/users', validateQuery(...userListQuery), admin.users);
  router.get('/users/:id', userId, admin.loadUser, admin.showUser);
  router.post('/users/:id', userId, admin.loadUser, form(userPage), validate(...accountForm), admin.updateUser);
  router.post('/users/:id/revoke-sessions', userId, admin.revokeSessions);
  router.get('/audit', validateQuery(...auditQuery), admin.audit);
  return router;
}
