import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../errors/app-error';
import { CONFIRM_PAGE } from '../controllers/reauth.controller';
import { isApiRequest } from '../lib/auth-cookies';
import { safeNextPath } from '../lib/safe-next';
import { MFA_MESSAGES } from '../services/mfa-messages';
import type { AppContext } from '../types/context';
import { signedInUser } from './require-auth';

/** What a held form keeps: the fields as typed, never the CSRF token or a hold of its own. */
function heldFields(body: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!body || typeof body !== 'object') return fields;
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string' && name !== '_csrf' && name !== 'held') fields[name] = value;
  }
  return fields;
}

/** The path a request was made to, without its query, as the confirm page returns to it. */
export function requestPath(req: Request): string {
  return (req.originalUrl.split('?')[0] ?? '/').replace(/\/+$/, '') || '/';
}

/**
 * Sudo mode for sensitive actions: the sign-in must have authenticated (logged in or confirmed)
 * within the last ten minutes. Otherwise a page is sent to "confirm it's you" and back: a GET by
 * a redirect, a form post by the confirm page itself, which holds what was typed (sealed) and
 * posts it here again once confirmed. Scripts get 403 `reauthentication_required`. The JSON API
 * does not use this: its sensitive routes take `current_password` in the body instead.
 */
export function requireRecentAuth({ services }: AppContext) {
  return async function recentAuth(req: Request, res: Response, next: NextFunction): Promise<void> {
    const user = signedInUser(req);
    const path = requestPath(req);
    if (await services.reauth.isRecent(user.id, user.sessionId)) {
      const held = typeof req.body?.held === 'string' ? services.reauth.openHeldForm(user.id, user.sessionId, path, req.body.held) : undefined;
      if (held) req.body = { ...held, _csrf: req.body._csrf };
      return next();
    }
    if (isApiRequest(req) || req.is('application/json')) throw new ForbiddenError(MFA_MESSAGES.reauthenticationRequired, 'reauthentication_required');
    if (req.method === 'GET') {
      res.redirect(303, `/me/confirm?return_to=${encodeURIComponent(safeNextPath(req.originalUrl) ?? '/me/security')}`);
      return;
    }
    const held = services.reauth.holdForm(user.id, user.sessionId, path, heldFields(req.body));
    res.render(CONFIRM_PAGE.view, {
      title: CONFIRM_PAGE.title,
      ...(await services.reauth.confirmOptions(user.id)),
      returnTo: path,
      held,
      notice: MFA_MESSAGES.confirmNeeded,
    });
  };
}
