import type { Request, Response } from 'express';
import { msg } from '../lib/i18n';
import { matchedData } from 'express-validator';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { setCeremonyCookie, takeCeremonyCookie } from '../lib/mfa-cookies';
import { requestMeta } from '../lib/request-meta';
import { signedInUser } from '../middleware/require-auth';
import { MFA_MESSAGES } from '../services/mfa-messages';
import type { AppContext } from '../types/context';
import { createSecurityController } from './security.controller';

export const PASSKEY_PAGES = {
  add: { view: 'me/passkey-new', title: msg('me.security.passkeys.add') },
} as const;

/** Passkeys on the Security page: add (a WebAuthn ceremony driven by public/js/passkeys.js) and remove. */
export function createPasskeysController(ctx: AppContext) {
  const { config, services } = ctx;
  const security = createSecurityController(ctx);
  const currentUser = async (req: Request) => (await services.users.current(signedInUser(req))).user;

  return {
    showAdd(_req: Request, res: Response) {
      res.render(PASSKEY_PAGES.add.view, { title: PASSKEY_PAGES.add.title });
    },

    async registrationOptions(req: Request, res: Response) {
      const { options, binding } = await services.passkeys.registrationOptions(await currentUser(req));
      setCeremonyCookie(res, config, binding);
      res.json(options);
    },

    async add(req: Request, res: Response) {
      const { name, passkey_response: response } = matchedData(req) as { name: string; passkey_response: RegistrationResponseJSON };
      const user = await currentUser(req);
      const codes = await services.mfa.addPasskey(user, takeCeremonyCookie(req, res, config), name, response, requestMeta(req));
      // The first second factor comes with recovery codes, shown now or never.
      if (codes) return security.showCodes(res, codes, user.username, MFA_MESSAGES.passkeyAddedWithCodes(name));
      res.flash('success', MFA_MESSAGES.passkeyAdded(name));
      res.redirect(303, '/me/security');
    },

    async remove(req: Request, res: Response) {
      const name = await services.mfa.removePasskey(await currentUser(req), Number(req.params.id), requestMeta(req));
      res.flash('success', MFA_MESSAGES.passkeyRemoved(name));
      res.redirect(303, '/me/security');
    },
  };
}
