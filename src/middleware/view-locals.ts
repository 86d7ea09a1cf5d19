import type { NextFunction, Request, Response } from 'express';
import { isApiRequest } from '../lib/auth-cookies';
import { safeNextPath } from '../lib/safe-next';

function returnPathOf(req: Request): string {
  if (req.method === 'GET' || req.method === 'HEAD') return safeNextPath(req.originalUrl) ?? '/';
  const referer = req.get('referer');
  if (!referer) return '/';
  try {
    const url = new URL(referer);
    return url.host === req.get('host') ? (safeNextPath(`${url.pathname}${url.search}`) ?? '/') : '/';
  } catch {
    return '/';
  }
}

type IssueToken = (req: Request, res: Response) => string;

/** What every page's layout needs: who is signed in, a CSRF token for its forms, defaults for forms. */
export function viewLocals(issueCsrfToken: IssueToken) {
  return function setViewLocals(req: Request, res: Response, next: NextFunction): void {
    if (isApiRequest(req)) return next();
    res.locals.currentUser = req.user ?? null;
    res.locals.csrfToken = issueCsrfToken(req, res);
    res.locals.requestId = req.id;
    res.locals.currentPath = req.path;
    // Where the language switcher returns to: this page, or for a form's answer the page it was posted from.
    res.locals.returnPath = returnPathOf(req);
    res.locals.values ??= {};
    res.locals.errors ??= {};
    res.locals.formError ??= null;
    res.locals.flash ??= null;
    next();
  };
}
