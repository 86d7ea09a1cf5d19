import { Router } from 'express';
import { AUTH_PAGES } from '../controllers/auth.controller';
import { createMfaApiController } from '../controllers/api/mfa.api.controller';
import { createMfaLoginController, SECOND_STEP_PAGE } from '../controllers/mfa-login.controller';
import { form } from '../middleware/form';
import { loadPendingLogin } from '../middleware/pending-login';
import { redirectIfSignedIn, requireUser } from '../middleware/require-auth';
import { validate } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { passkeyLoginForm, recoveryCodesApi, secondStepApi, secondStepForm, totpConfirm, totpDisableApi, totpStartApi } from '../validators/mfa.validators';

/**
 * Mounted at /auth: the second step of a login, and passkey sign-in. The pending login is read
 * before the login throttles, whose counters the second step shares with the password.
 */
export function mfaLoginRoutes(ctx: AppContext): Router {
  const mfa = createMfaLoginController(ctx);
  const pending = loadPendingLogin(ctx.config, ctx.services, 'cookie');
  const limits = ctx.rateLimits;
  const router = Router();
  router.get('/mfa', redirectIfSignedIn, pending, mfa.show);
  router.post('/mfa', redirectIfSignedIn, pending, limits.login, form(SECOND_STEP_PAGE), validate(...secondStepForm), mfa.verify);
  router.post('/mfa/passkey-options', redirectIfSignedIn, pending, mfa.secondStepPasskeyOptions);
  router.post('/passkey/options', redirectIfSignedIn, limits.login, mfa.passkeyOptions);
  router.post('/passkey', redirectIfSignedIn, limits.login, form(AUTH_PAGES.login), validate(...passkeyLoginForm), mfa.passkeySignIn);
  return router;
}

/** Mounted at /api before apiRoutes (which ends in its 404). */
export function mfaApiRoutes(ctx: AppContext): Router {
  const mfa = createMfaApiController(ctx);
  const limits = ctx.rateLimits;
  const router = Router();
  router.post('/auth/mfa', loadPendingLogin(ctx.config, ctx.services, 'body'), limits.login, validate(...secondStepApi), mfa.secondStep);
  router.post('/me/mfa/totp', requireUser, validate(...totpStartApi), limits.passwordCheck, mfa.startTotp);
  router.post('/me/mfa/totp/confirm', requireUser, validate(...totpConfirm), limits.passwordCheck, mfa.confirmTotp);
  router.delete('/me/mfa/totp', requireUser, validate(...totpDisableApi), limits.passwordCheck, mfa.disableTotp);
  router.post('/me/mfa/recovery-codes', requireUser, validate(...recoveryCodesApi), limits.passwordCheck, mfa.regenerateRecoveryCodes);
  return router;
}
