import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { setAuthCookies } from '../lib/auth-cookies';
import { requestMeta } from '../lib/request-meta';
import { signedInUser } from '../middleware/require-auth';
import { toPublicUser } from '../presenters/user.presenter';
import type { PasswordChange, ProfileChanges } from '../services/user.service';
import type { AppContext } from '../types/context';

export function createMeController({ config, services }: AppContext) {
  /** The profile page's data, also used when one of its forms is re-rendered with errors. */
  async function profileLocals(req: Request) {
    const user = toPublicUser(await services.users.getByPublicId(signedInUser(req).id));
    return { user };
  }

  return {
    profileLocals,

    async show(req: Request, res: Response) {
      const locals = await profileLocals(req);
      res.render('me/profile', { title: 'Your profile', ...locals, values: locals.user });
    },

    async update(req: Request, res: Response) {
      await services.users.updateProfile(signedInUser(req).id, matchedData(req) as ProfileChanges, requestMeta(req));
      res.flash('success', 'Your profile has been updated.');
      res.redirect(303, '/me');
    },

    async changePassword(req: Request, res: Response) {
      const tokens = await services.users.changePassword(signedInUser(req).id, matchedData(req) as PasswordChange, requestMeta(req));
      setAuthCookies(res, config, tokens);
      res.flash('success', 'Password changed — your other sessions were signed out.');
      res.redirect(303, '/me');
    },
  };
}
