import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError, UnauthorizedError } from '../errors/app-error';
import { isApiRequest } from '../lib/auth-cookies';
import { MessageRef, msg } from '../lib/i18n';
import { safeNextPath } from '../lib/safe-next';
import type { AuthUser } from './authenticate';

const API_MESSAGES: Record<NonNullable<Request['authProblem']>, MessageRef> = {
  token_expired: msg('api.tokenExpired'),
  token_stale: msg('api.tokenStale'),
  token_invalid: msg('api.tokenInvalid'),
  session_revoked: msg('api.sessionRevoked'),
};

/** Pages send anonymous visitors to the login form and back; the API answers 401 with a reason. */
export function requireUser(req: Request, res: Response, next: NextFunction): void {
  if (req.user) return next();
  if (isApiRequest(req)) {
    const problem = req.authProblem;
    throw problem ? new UnauthorizedError(API_MESSAGES[problem], problem) : new UnauthorizedError(msg('api.authenticationRequired'), 'unauthenticated');
  }
  // Only a page can be returned to; a form POST cannot be replayed after signing in.
  const back = req.method === 'GET' ? safeNextPath(req.originalUrl) : undefined;
  res.redirect(303, back ? `/auth/login?next=${encodeURIComponent(back)}` : '/auth/login');
}

export type Role = 'reader' | 'author' | 'admin';

export function hasRole(user: AuthUser, role: Role): boolean {
  if (role === 'admin') return user.isAdmin;
  if (role === 'author') return user.isAuthor || user.isAdmin;
  return user.isReader || user.isAuthor || user.isAdmin;
}

/** Signed in and holding the role; anonymous visitors get requireUser's answer first. */
export function requireRole(role: Role) {
  return function requireRoleMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (!req.user) return requireUser(req, res, next);
    if (!hasRole(req.user, role)) throw new ForbiddenError();
    next();
  };
}

/** The login and registration pages are for visitors; a signed-in user goes to their profile. */
export function redirectIfSignedIn(req: Request, res: Response, next: NextFunction): void {
  if (!req.user) return next();
  res.redirect(303, '/me');
}

/** The signed-in user in a handler behind requireUser; never undefined there. */
export function signedInUser(req: Request): AuthUser {
  if (!req.user) throw new UnauthorizedError();
  return req.user;
}
