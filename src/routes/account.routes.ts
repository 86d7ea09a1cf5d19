import { Router } from 'express';
import { createPasswordResetController, RESET_PAGES } from '../controllers/password-reset.controller';
import { createVerificationController, VERIFICATION_PAGES } from '../controllers/verification.controller';
import { form } from '../middleware/form';
import { requireUser } from '../middleware/require-auth';
import { validate } from '../middleware/validate';
import type { AppContext } from '../types/context';
import { addressForm, linkTokenBody, linkTokenQuery, resetForm, resetApi } from '../validators/account.validators';

/** Mounted at /auth after authRoutes: email links, forgot/reset, and the unverified-login page. */
export function accountRoutes(ctx: AppContext): Router {
  const verification = createVerificationController(ctx);
  const reset = createPasswordResetController(ctx);
  const router = Router();
  router.get('/verify', validate(...linkTokenQuery), verification.verify);
  router.get('/verify/resend', verification.showResend);
  router.post('/verify/resend', form(VERIFICATION_PAGES.resend), validate(...addressForm), verification.resend);
  router.get('/verify/sent', verification.showResendSent);
  router.get('/forgot', reset.showForgot);
  router.post('/forgot', form(RESET_PAGES.forgot), validate(...addressForm), reset.forgot);
  router.get('/forgot/sent', reset.showForgotSent);
  router.get('/reset', validate(...linkTokenQuery), reset.showReset);
  router.post('/reset', form(RESET_PAGES.reset), validate(...resetForm), reset.reset);
  return router;
}

/**
 * An error handler mounted at /auth after authRoutes (a mounted router never sees another
 * router's errors): login and registration refused under REQUIRE_VERIFIED_EMAIL get their own
 * page; every other error goes on to the app's error handler.
 */
export function unverifiedEmailPages(ctx: AppContext) {
  return createVerificationController(ctx).refuseUnverified;
}

/** Mounted at /me next to meRoutes: the profile's "resend verification email" button. */
export function accountProfileRoutes(ctx: AppContext): Router {
  const verification = createVerificationController(ctx);
  const router = Router();
  router.post('/verification', requireUser, verification.resendForMe);
  return router;
}

/** Mounted at /api before apiRoutes (which ends in its 404). */
export function accountApiRoutes(ctx: AppContext): Router {
  const verification = createVerificationController(ctx);
  const reset = createPasswordResetController(ctx);
  const router = Router();
  router.post('/auth/verify', validate(...linkTokenBody), verification.api.verify);
  router.post('/auth/verify/resend', validate(...addressForm), verification.api.resend);
  router.post('/auth/forgot', validate(...addressForm), reset.api.forgot);
  router.post('/auth/reset', validate(...resetApi), reset.api.reset);
  router.post('/me/verification', requireUser, verification.api.resendForMe);
  return router;
}
