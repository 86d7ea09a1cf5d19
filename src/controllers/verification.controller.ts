import type { NextFunction, Request, Response } from 'express';
import { textFor } from '../middleware/language';
import { msg } from '../lib/i18n';
import { matchedData } from 'express-validator';
import { AppError } from '../errors/app-error';
import { requestMeta } from '../lib/request-meta';
import { signedInUser } from '../middleware/require-auth';
import { EmailNotVerifiedError } from '../services/verification.service';
import type { AppContext } from '../types/context';

export const VERIFICATION_PAGES = {
  resend: { view: 'auth/verification-resend', title: msg('auth.verification.resendTitle') },
} as const;

const MESSAGES = {
  verified: (email: string) => msg('auth.verification.verified', { email }),
  changed: (email: string) => msg('auth.verification.changed', { email }),
  resent: msg('auth.verification.resent'),
  alreadyVerified: msg('auth.verification.alreadyVerified'),
  registered: (email: string) => msg('auth.verification.registered', { email }),
  resendAccepted: msg('auth.verification.resendAccepted'),
} as const;

/** Link pages answer these errors with their own page; anything else goes to the error handler. */
function isLinkProblem(error: unknown): error is AppError {
  return error instanceof AppError && ['invalid_link', 'email_taken'].includes(error.code);
}

export function createVerificationController({ services }: AppContext) {
  return {
    /** GET /auth/verify?token=… — works signed in or not: the link alone proves the inbox. */
    async verify(req: Request, res: Response) {
      const { token = '' } = matchedData(req) as { token?: string };
      try {
        const result = await services.verification.confirm(token, requestMeta(req));
        const message = result.kind === 'verified' ? MESSAGES.verified(result.email) : MESSAGES.changed(result.email);
        res.render('auth/verify', { title: msg('auth.verification.confirmedTitle'), message, problem: null });
      } catch (error) {
        if (!isLinkProblem(error)) throw error;
        res.status(error.status).render('auth/verify', { title: msg('auth.links.brokenTitle'), message: null, problem: error.messageRef });
      }
    },

    showResend(_req: Request, res: Response) {
      res.render(VERIFICATION_PAGES.resend.view, { title: VERIFICATION_PAGES.resend.title, sent: false });
    },

    /** The same redirect for every address, known or not, verified or not. */
    async resend(req: Request, res: Response) {
      const { email } = matchedData(req) as { email: string };
      await services.verification.resendForAddress(email, requestMeta(req));
      res.redirect(303, '/auth/verify/sent');
    },

    showResendSent(_req: Request, res: Response) {
      res.render(VERIFICATION_PAGES.resend.view, { title: msg('auth.reset.checkInbox'), sent: true });
    },

    /** POST /me/verification — the "resend" button on the profile. */
    async resendForMe(req: Request, res: Response) {
      const sent = await services.verification.resendForUser(signedInUser(req).id, requestMeta(req));
      res.flash(sent ? 'success' : 'info', sent ? MESSAGES.resent : MESSAGES.alreadyVerified);
      res.redirect(303, '/me');
    },

    /**
     * REQUIRE_VERIFIED_EMAIL on the login and registration forms: a correct password for an
     * unconfirmed address gets a page that offers a new link; a fresh registration is sent to
     * log in once confirmed. Every other error goes on to the error handler.
     */
    refuseUnverified(error: unknown, _req: Request, res: Response, next: NextFunction) {
      if (!(error instanceof EmailNotVerifiedError)) return next(error);
      if (error.justRegistered) {
        res.flash('info', MESSAGES.registered(error.email));
        return res.redirect(303, '/auth/login');
      }
      res.status(403).render('auth/verification-required', { title: msg('auth.verification.requiredTitle'), values: { email: error.email }, message: error.messageRef });
    },

    api: {
      /** POST /api/auth/verify {token}: link problems answer 400 or 409 in the error envelope. */
      async verify(req: Request, res: Response) {
        const { token = '' } = matchedData(req) as { token?: string };
        const result = await services.verification.confirm(token, requestMeta(req));
        res.json({ status: result.kind, email: result.email });
      },

      async resend(req: Request, res: Response) {
        await services.verification.resendForAddress((matchedData(req) as { email: string }).email, requestMeta(req));
        res.status(202).json({ message: textFor(res, MESSAGES.resendAccepted) });
      },

      async resendForMe(req: Request, res: Response) {
        const sent = await services.verification.resendForUser(signedInUser(req).id, requestMeta(req));
        res.status(sent ? 202 : 200).json({ message: textFor(res, sent ? MESSAGES.resent : MESSAGES.alreadyVerified) });
      },
    },
  };
}
