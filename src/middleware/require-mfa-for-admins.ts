import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../errors/app-error';
import { isApiRequest } from '../lib/auth-cookies';
import { MFA_MESSAGES } from '../services/mfa-messages';
import type { AppContext } from '../types/context';

/**
 * REQUIRE_MFA_FOR_ADMINS: behind requireRole('admin'), an admin with no second factor is sent
 * to the Security page to set one up before any admin page (the API answers 403
 * `mfa_setup_required`). Off by default: the check costs a query per admin request.
 */
export function requireMfaForAdmins({ config, services }: AppContext) {
  return async function mfaForAdmins(req: Request, res: Response, next: NextFunction): Promise<void> {
    if (!config.mfa.requireForAdmins || !req.user || (await services.mfa.hasSecondFactorByPublicId(req.user.id))) return next();
    if (isApiRequest(req)) throw new ForbiddenError(MFA_MESSAGES.mfaSetupRequired, 'mfa_setup_required');
    res.flash('info', MFA_MESSAGES.mfaSetupRequired);
    res.redirect(303, '/me/security');
  };
}
