import type { Request, Response } from 'express';
import { msg } from '../lib/i18n';
import { matchedData } from 'express-validator';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { setCeremonyCookie, takeCeremonyCookie } from '../lib/mfa-cookies';
import { requestMeta } from '../lib/request-meta';
import { signedInUser } from '../middleware/require-auth';
import { MFA_MESSAGES } from '../services/mfa-messages';
import type { ReauthProof } from '../services/reauth.service';
import type { AppContext } from '../types/context';

export const CONFIRM_PAGE = { view: 'me/confirm', title: msg('me.confirm.title') } as const;

interface ConfirmInput {
  current_password?: string;
  code?: string;
  passkey_response?: AuthenticationResponseJSON;
  return_to?: string;
  held?: string;
}

/** "Confirm it's you" (sudo mode): /me/confirm, reached from requireRecentAuth. */
export function createReauthController({ config, services }: AppContext) {
  /** The page's locals, also when its form comes back with an error. */
  async function confirmLocals(req: Request) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const returnTo = typeof body.return_to === 'string' ? body.return_to : '';
    return {
      ...(await services.reauth.confirmOptions(signedInUser(req).id)),
      returnTo,
      held: typeof body.held === 'string' ? body.held : '',
      notice: MFA_MESSAGES.confirmNeeded,
    };
  }

  function proofOf(req: Request, res: Response, data: ConfirmInput): ReauthProof {
    if (data.passkey_response) return { passkey: { binding: takeCeremonyCookie(req, res, config), response: data.passkey_response } };
    if (data.code) return { code: data.code };
    return { current_password: data.current_password ?? '' };
  }

  return {
    confirmLocals,

    async show(req: Request, res: Response) {
      const { return_to: returnTo = '' } = matchedData(req, { locations: ['query'] }) as { return_to?: string };
      res.render(CONFIRM_PAGE.view, { title: CONFIRM_PAGE.title, ...(await confirmLocals(req)), returnTo, held: '' });
    },

    async passkeyOptions(req: Request, res: Response) {
      const { user } = await services.users.current(signedInUser(req));
      const { options, binding } = await services.passkeys.authenticationOptions('confirm', user.id);
      setCeremonyCookie(res, config, binding);
      res.json(options);
    },

    /**
     * Confirmed: a held form is posted again to where it came from (307 keeps the method and
     * body, and the body's sealed `held` restores what was typed); a page is returned to (303).
     */
    async confirm(req: Request, res: Response) {
      const current = signedInUser(req);
      const data = matchedData(req) as ConfirmInput;
      await services.reauth.confirm(current.id, current.sessionId, proofOf(req, res, data), requestMeta(req));
      const back = data.return_to || '/me/security';
      if (data.held && services.reauth.openHeldForm(current.id, current.sessionId, back.split('?')[0] ?? back, data.held)) return res.redirect(307, back);
      res.flash('success', MFA_MESSAGES.confirmed);
      res.redirect(303, back);
    },
  };
}
