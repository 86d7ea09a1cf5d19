import type { Request, Response } from 'express';
import { msg } from '../lib/i18n';
import { matchedData } from 'express-validator';
import { clearAuthCookies, setAuthCookies } from '../lib/auth-cookies';
import { readDeviceCookie, setDeviceCookie } from '../lib/device-cookie';
import { setPendingLoginCookie } from '../lib/mfa-cookies';
import { loginAccountKey } from '../middleware/rate-limit';
import { requestMeta } from '../lib/request-meta';
import { safeNextPath } from '../lib/safe-next';
import { isTicked } from '../validators/auth.validators';
import { needsSecondStep, RegistrationInput } from '../services/auth.service';
import type { AppContext } from '../types/context';

export const AUTH_PAGES = {
  register: { view: 'auth/register', title: msg('auth.register.title') },
  login: { view: 'auth/login', title: msg('auth.login.title') },
} as const;

export function createAuthController({ config, services }: AppContext) {
  return {
    showRegister(_req: Request, res: Response) {
      res.render(AUTH_PAGES.register.view, { title: AUTH_PAGES.register.title });
    },

    async register(req: Request, res: Response) {
      const input = matchedData(req) as RegistrationInput;
      const signedIn = await services.auth.registerAndSignIn(input, requestMeta(req), { deviceId: readDeviceCookie(req, config), remembered: true });
      const { user, tokens } = signedIn;
      setAuthCookies(res, config, tokens);
      setDeviceCookie(res, config, signedIn);
      res.flash('success', msg('auth.register.welcome', { name: user.first_name || user.username }));
      res.redirect(303, '/me');
    },

    showLogin(req: Request, res: Response) {
      res.render(AUTH_PAGES.login.view, { title: AUTH_PAGES.login.title, values: { next: safeNextPath(req.query.next) ?? '', remember: '' } });
    },

    async login(req: Request, res: Response) {
      const { login, password, next, remember } = matchedData(req) as { login: string; password: string; next?: string; remember?: string };
      const browser = { deviceId: readDeviceCookie(req, config), remembered: isTicked(remember) };
      const result = await services.auth.login(login, password, requestMeta(req), loginAccountKey(req), browser);
      const back = safeNextPath(next);
      if (needsSecondStep(result)) {
        // No session yet: only this browser's cookie can finish the login, at the code prompt.
        setPendingLoginCookie(res, config, result.secondStep.token);
        return res.redirect(303, back ? `/auth/mfa?next=${encodeURIComponent(back)}` : '/auth/mfa');
      }
      setAuthCookies(res, config, result.tokens);
      setDeviceCookie(res, config, result);
      res.redirect(303, back ?? '/me');
    },

    showLogout(_req: Request, res: Response) {
      res.render('auth/logout', { title: msg('auth.logout.title') });
    },

    async logout(req: Request, res: Response) {
      if (req.user) await services.sessions.endFamily(req.user.id, req.user.sessionId, requestMeta(req));
      clearAuthCookies(res, config);
      res.flash('info', msg('auth.logout.done'));
      res.redirect(303, '/auth/login');
    },
  };
}
