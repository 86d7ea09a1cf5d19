import { Router } from 'express';
import { createPasskeysController, PASSKEY_PAGES } from '../controllers/passkeys.controller';
import { CONFIRM_PAGE, createReauthController } from '../controllers/reauth.controller';
import { createSecurityController, SECURITY_PAGES } from '../controllers/security.controller';
import { form } from '../middleware/form';
import { requireIdParam } from '../middleware/params';
import { requireRecentAuth } from '../middleware/recent-auth';
import { requireUser } from '../middleware/require-auth';
import { validate, validateQuery } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { codeOrRecoveryForm, confirmForm, confirmQuery, passkeyAddForm, totpConfirm } from '../validators/mfa.validators';

/**
 * Mounted at /me/security. Every change here is a sensitive action: it needs an authentication
 * from the last ten minutes (requireRecentAuth), and turning the app off also needs a code.
 */
export function securityRoutes(ctx: AppContext): Router {
  const security = createSecurityController(ctx);
  const passkeys = createPasskeysController(ctx);
  const recent = requireRecentAuth(ctx);
  const limits = ctx.rateLimits;
  const overview = { ...SECURITY_PAGES.overview, load: security.overviewLocals };
  const setup = { ...SECURITY_PAGES.totpSetup, load: security.setupLocals };
  const router = Router();
  router.use(requireUser);
  router.get('/', security.show);
  router.post('/totp', recent, form(overview), security.startTotp);
  router.get('/totp', recent, security.showTotpSetup);
  router.post('/totp/confirm', recent, form(setup), validate(...totpConfirm), limits.passwordCheck, security.confirmTotp);
  router.post('/totp/disable', recent, form(overview), validate(...codeOrRecoveryForm), limits.passwordCheck, security.disableTotp);
  router.post('/recovery-codes', recent, form(overview), security.regenerateRecoveryCodes);
  router.get('/passkeys/new', recent, passkeys.showAdd);
  router.post('/passkeys/options', recent, passkeys.registrationOptions);
  router.post('/passkeys', recent, form(PASSKEY_PAGES.add), validate(...passkeyAddForm), passkeys.add);
  router.post('/passkeys/:id/delete', requireIdParam('id'), recent, passkeys.remove);
  return router;
}

/** Mounted at /me/confirm: "confirm it's you" for sudo mode. */
export function reauthRoutes(ctx: AppContext): Router {
  const reauth = createReauthController(ctx);
  const confirmPage = { ...CONFIRM_PAGE, load: reauth.confirmLocals };
  const router = Router();
  router.use(requireUser);
  router.get('/', validateQuery(...confirmQuery), reauth.show);
  router.post('/passkey-options', reauth.passkeyOptions);
  router.post('/', form(confirmPage), validate(...confirmForm), ctx.rateLimits.passwordCheck, reauth.confirm);
  return router;
}
