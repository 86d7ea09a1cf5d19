import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { deviceLabel } from '../lib/device-label';
import { msg } from '../lib/i18n';
import type { PageRequest } from '../lib/pagination';
import { requestMeta } from '../lib/request-meta';
import { signedInUser } from '../middleware/require-auth';
import type { AccountFlags } from '../services/admin.service';
import { AUDIT_EVENTS, AuditEventName } from '../services/audit.service';
import type { AppContext } from '../types/context';

/**
 * The public_id in the path, as we issue them: lower-case. (MySQL would match an upper-case
 * copy and SQLite would not; this way both engines answer alike.)
 */
function targetId(req: Request): string {
  return String(req.params.id).toLowerCase();
}

export function createAdminController({ services }: AppContext) {
  return {
    /**
     * Before the user page and its form: the page's data goes into res.locals, so a refused
     * POST re-renders the page with it (the error handler no longer sees the route's params).
     */
    async loadUser(req: Request, res: Response, next: () => void) {
      const detail = await services.admin.getUser(targetId(req));
      const sessions = detail.sessions.map((session) => ({ ...session, device: deviceLabel(session.user_agent) }));
      Object.assign(res.locals, { ...detail, sessions, isSelf: detail.user.id === signedInUser(req).id });
      next();
    },

    async dashboard(_req: Request, res: Response) {
      res.render('admin/dashboard', { title: msg('admin.dashboard.title'), ...(await services.admin.dashboard()) });
    },

    async users(req: Request, res: Response) {
      const { q = '', page = 1, after, before } = matchedData(req, { locations: ['query'] }) as { q?: string } & Partial<PageRequest>;
      res.render('admin/users', { title: msg('admin.users.title'), q, users: await services.admin.listUsers(q || undefined, { page, after, before }) });
    },

    showUser(_req: Request, res: Response) {
      res.render('admin/user', { title: res.locals.user.username });
    },

    async updateUser(req: Request, res: Response) {
      const flags = matchedData(req) as AccountFlags;
      const target = targetId(req);
      const { changed } = await services.admin.updateAccount(signedInUser(req).id, target, flags, requestMeta(req));
      if (!changed) res.flash('info', msg('admin.flash.nothingChanged'));
      else if (!flags.is_active) res.flash('success', msg('admin.flash.disabled'));
      else res.flash('success', msg('admin.flash.rolesUpdated'));
      res.redirect(303, `/admin/users/${target}`);
    },

    async revokeSessions(req: Request, res: Response) {
      const target = targetId(req);
      const count = await services.admin.revokeSessions(signedInUser(req).id, target, requestMeta(req));
      res.flash('success', msg('admin.flash.sessionsRevoked', { count }));
      res.redirect(303, `/admin/users/${target}`);
    },

    async forcePasswordReset(req: Request, res: Response) {
      const target = targetId(req);
      const user = await services.admin.forcePasswordReset(signedInUser(req).id, target, requestMeta(req));
      res.flash('success', msg('account.admin.forcedReset', { username: user.username }));
      res.redirect(303, `/admin/users/${target}`);
    },

    async resetMfa(req: Request, res: Response) {
      const target = targetId(req);
      const user = await services.admin.resetMfa(signedInUser(req).id, target, requestMeta(req));
      res.flash('success', msg('admin.flash.mfaReset', { username: user.username }));
      res.redirect(303, `/admin/users/${target}`);
    },

    async audit(req: Request, res: Response) {
      const { user = '', event = '', page = 1, after, before } = matchedData(req, { locations: ['query'] }) as { user?: string; event?: string } & Partial<PageRequest>;
      const result = await services.admin.listAudit({ user: user || undefined, event: (event || undefined) as AuditEventName | undefined, page, after, before });
      res.render('admin/audit', { title: msg('admin.audit.title'), filters: { user, event }, eventNames: AUDIT_EVENTS, ...result });
    },
  };
}
