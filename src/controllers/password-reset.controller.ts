import type { Request, Response } from 'express';
import { textFor } from '../middleware/language';
import { msg } from '../lib/i18n';
import { matchedData } from 'express-validator';
import { setAuthCookies } from '../lib/auth-cookies';
import { setPendingLoginCookie } from '../lib/mfa-cookies';
import { requestMeta } from '../lib/request-meta';
import { toPublicUser } from '../presenters/user.presenter';
import { toSecondStepResponse, toTokenResponse } from '../presenters/token.presenter';
import { InvalidLinkError } from '../services/verification-tokens';
import type { AppContext } from '../types/context';

export const RESET_PAGES = {
  forgot: { view: 'auth/forgot', title: msg('auth.login.forgot') },
  reset: { view: 'auth/reset', title: msg('auth.reset.title') },
} as const;

const MESSAGES = {
  done: msg('auth.reset.done'),
  doneSecondStep: msg('auth.reset.doneSecondStep'),
  requested: msg('auth.reset.requested'),
} as const;

export function createPasswordResetController({ config, services }: AppContext) {
  function renderInvalid(res: Response, error: InvalidLinkError) {
    res.status(error.status).render(RESET_PAGES.reset.view, { title: msg('auth.links.brokenTitle'), problem: error.messageRef });
  }

  return {
    showForgot(_req: Request, res: Response) {
      res.render(RESET_PAGES.forgot.view, { title: RESET_PAGES.forgot.title, sent: false });
    },

    /** The same 303 for every address: what happens next is decided after the response. */
    async forgot(req: Request, res: Response) {
      const { email } = matchedData(req) as { email: string };
      await services.passwordReset.request(email, requestMeta(req));
      res.redirect(303, '/auth/forgot/sent');
    },

    showForgotSent(_req: Request, res: Response) {
      res.render(RESET_PAGES.forgot.view, { title: msg('auth.reset.checkInbox'), sent: true });
    },

    async showReset(req: Request, res: Response) {
      const { token = '' } = matchedData(req) as { token?: string };
      try {
        await services.passwordReset.check(token);
      } catch (error) {
        if (error instanceof InvalidLinkError) return renderInvalid(res, error);
        throw error;
      }
      res.render(RESET_PAGES.reset.view, { title: RESET_PAGES.reset.title, problem: null, values: { token } });
    },

    async reset(req: Request, res: Response) {
      const { token = '', new_password: password } = matchedData(req) as { token?: string; new_password: string };
      let outcome;
      try {
        outcome = await services.passwordReset.reset(token, password, requestMeta(req));
      } catch (error) {
        if (error instanceof InvalidLinkError) return renderInvalid(res, error);
        throw error;
      }
      if ('secondStep' in outcome) {
        setPendingLoginCookie(res, config, outcome.secondStep.token);
        res.flash('success', MESSAGES.doneSecondStep);
        return res.redirect(303, '/auth/mfa');
      }
      setAuthCookies(res, config, outcome.tokens);
      res.flash('success', MESSAGES.done);
      res.redirect(303, '/me');
    },

    api: {
      async forgot(req: Request, res: Response) {
        await services.passwordReset.request((matchedData(req) as { email: string }).email, requestMeta(req));
        res.status(202).json({ message: textFor(res, MESSAGES.requested) });
      },

      /** Answers like login: the new session's tokens and the user. */
      async reset(req: Request, res: Response) {
        const { token = '', new_password: password } = matchedData(req) as { token?: string; new_password: string };
        const outcome = await services.passwordReset.reset(token, password, requestMeta(req));
        if ('secondStep' in outcome) return res.json(toSecondStepResponse(outcome.secondStep));
        res.json({ ...toTokenResponse(outcome.tokens), user: toPublicUser(outcome.user) });
      },
    },
  };
}
