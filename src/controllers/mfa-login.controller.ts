import type { Request, Response } from 'express';
import { msg } from '../lib/i18n';
import { matchedData } from 'express-validator';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { setAuthCookies } from '../lib/auth-cookies';
import { readDeviceCookie, setDeviceCookie } from '../lib/device-cookie';
import { clearPendingLoginCookie, readPendingLoginCookie, setCeremonyCookie, takeCeremonyCookie } from '../lib/mfa-cookies';
import { requestMeta } from '../lib/request-meta';
import { safeNextPath } from '../lib/safe-next';
import { isTicked } from '../validators/auth.validators';
import { codeProofOf } from '../services/mfa.service';
import { MFA_MESSAGES } from '../services/mfa-messages';
import type { SecondStepProof } from '../services/mfa-login.service';
import type { AppContext } from '../types/context';

export const SECOND_STEP_PAGE = {
  view: 'auth/mfa',
  title: msg('auth.mfa.title'),
  load: (req: Request) => ({ methods: req.pendingLogin?.methods ?? [], next: safeNextPath(req.body?.next) ?? '' }),
};

interface SecondStepInput {
  code?: string;
  recovery_code?: string;
  passkey_response?: AuthenticationResponseJSON;
  next?: string;
}

/** The code prompt between a right password and a session, and passkey sign-in from the login page. */
export function createMfaLoginController({ config, services }: AppContext) {
  function backToLogin(res: Response) {
    clearPendingLoginCookie(res, config);
    res.flash('info', MFA_MESSAGES.pendingExpired);
    res.redirect(303, '/auth/login');
  }

  function proofOf(req: Request, res: Response, data: SecondStepInput): SecondStepProof {
    if (data.passkey_response) return { passkey: { binding: takeCeremonyCookie(req, res, config), response: data.passkey_response } };
    return codeProofOf(data);
  }

  return {
    show(req: Request, res: Response) {
      if (!req.pendingLogin) return backToLogin(res);
      res.render(SECOND_STEP_PAGE.view, { title: SECOND_STEP_PAGE.title, methods: req.pendingLogin.methods, next: safeNextPath(req.query.next) ?? '' });
    },

    async verify(req: Request, res: Response) {
      const token = readPendingLoginCookie(req, config);
      if (!req.pendingLogin || !token) return backToLogin(res);
      const data = matchedData(req) as SecondStepInput;
      const signedIn = await services.mfaLogin.complete(token, proofOf(req, res, data), requestMeta(req), { deviceId: readDeviceCookie(req, config) });
      const { user, tokens } = signedIn;
      clearPendingLoginCookie(res, config);
      setAuthCookies(res, config, tokens);
      setDeviceCookie(res, config, signedIn);
      if (data.recovery_code) res.flash('info', MFA_MESSAGES.signedInWithRecoveryCode((await services.mfa.status(user.id)).recoveryCodesLeft));
      res.redirect(303, data.next || '/me');
    },

    /** The options for a passkey as the second factor: only this user's credentials, only for this pending login. */
    async secondStepPasskeyOptions(req: Request, res: Response) {
      if (!req.pendingLogin) return backToLogin(res);
      const { options, binding } = await services.passkeys.authenticationOptions('second_step', req.pendingLogin.user.id);
      setCeremonyCookie(res, config, binding);
      res.json(options);
    },

    /** "Sign in with a passkey" on the login page: no username, the authenticator offers its discoverable credential. */
    async passkeyOptions(_req: Request, res: Response) {
      const { options, binding } = await services.passkeys.authenticationOptions('sign_in');
      setCeremonyCookie(res, config, binding);
      res.json(options);
    },

    async passkeySignIn(req: Request, res: Response) {
      const data = matchedData(req) as { passkey_response: AuthenticationResponseJSON; next?: string; remember?: string };
      const binding = takeCeremonyCookie(req, res, config);
      const browser = { deviceId: readDeviceCookie(req, config), remembered: isTicked(data.remember) };
      const signedIn = await services.mfaLogin.signInWithPasskey(binding, data.passkey_response, requestMeta(req), browser);
      setAuthCookies(res, config, signedIn.tokens);
      setDeviceCookie(res, config, signedIn);
      res.redirect(303, data.next || '/me');
    },
  };
}
