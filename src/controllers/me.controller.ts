import type { Request, Response } from 'express';
import { msg } from '../lib/i18n';
import { matchedData } from 'express-validator';
import { clearAuthCookies, setAuthCookies } from '../lib/auth-cookies';
import { deviceLabel } from '../lib/device-label';
import { requestMeta } from '../lib/request-meta';
import { signedInUser } from '../middleware/require-auth';
import { toPublicUser } from '../presenters/user.presenter';
import type { PasswordChange, ProfileChanges } from '../services/user.service';
import type { AppContext } from '../types/context';

export const PROFILE_TITLE = msg('me.profile.title');

export function createMeController({ config, services }: AppContext) {
  /** The profile page's data, also used when one of its forms is re-rendered with errors. */
  async function profileLocals(req: Request) {
    const { user, pendingEmail, mfa } = await services.users.current(signedInUser(req));
    return { user: toPublicUser(user), pendingEmail, secondFactor: mfa.totp || mfa.passkeys > 0 };
  }

  return {
    profileLocals,

    async show(req: Request, res: Response) {
      const locals = await profileLocals(req);
      res.render('me/profile', { title: PROFILE_TITLE, ...locals, values: locals.user });
    },

    async update(req: Request, res: Response) {
      await services.users.updateProfile(signedInUser(req).id, matchedData(req) as ProfileChanges, requestMeta(req));
      res.flash('success', msg('me.profile.updated'));
      res.redirect(303, '/me');
    },

    async sessions(req: Request, res: Response) {
      const current = signedInUser(req);
      const sessions = (await services.sessions.listForUser(current.id)).map((session) => ({
        id: session.family_id,
        device: deviceLabel(session.user_agent),
        ip: session.ip,
        startedAt: session.started_at.toISOString(),
        lastUsedAt: session.last_used_at.toISOString(),
        isCurrent: session.family_id === current.sessionId,
        remembered: session.remembered,
      }));
      sessions.sort((a, b) => Number(b.isCurrent) - Number(a.isCurrent));
      res.render('me/sessions', { title: msg('me.sessions.title'), sessions });
    },

    async revokeSession(req: Request, res: Response) {
      const current = signedInUser(req);
      const familyId = String(req.params.id);
      if (familyId === current.sessionId) {
        await services.sessions.endFamily(current.id, familyId, requestMeta(req));
        clearAuthCookies(res, config);
        res.flash('info', msg('me.sessions.signedOutThis'));
        return res.redirect(303, '/auth/login');
      }
      const revoked = await services.sessions.revokeOne(current.id, familyId, requestMeta(req));
      res.flash(revoked ? 'success' : 'info', msg(revoked ? 'me.sessions.revoked' : 'me.sessions.alreadyEnded'));
      res.redirect(303, '/me/sessions');
    },

    async revokeOtherSessions(req: Request, res: Response) {
      const current = signedInUser(req);
      await services.sessions.revokeOthers(current.id, current.sessionId, requestMeta(req));
      res.flash('success', msg('me.sessions.othersRevoked'));
      res.redirect(303, '/me/sessions');
    },

    async changePassword(req: Request, res: Response) {
      const current = signedInUser(req);
      const tokens = await services.users.changePassword(current.id, matchedData(req) as PasswordChange, requestMeta(req), current.amr, current.sessionId);
      setAuthCookies(res, config, tokens);
      res.flash('success', msg('me.password.changed'));
      res.redirect(303, '/me');
    },
  };
}
