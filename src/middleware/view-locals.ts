import type { NextFunction, Request, Response } from 'express';
import { isApiRequest } from '../lib/auth-cookies';

type IssueToken = (req: Request, res: Response) => string;

/** What every page's layout needs: who is signed in, a CSRF token for its forms, defaults for forms. */
export function viewLocals(issueCsrfToken: IssueToken) {
  return function setViewLocals(req: Request, res: Response, next: NextFunction): void {
    if (isApiRequest(req)) return next();
    res.locals.currentUser = req.user ?? null;
    res.locals.csrfToken = issueCsrfToken(req, res);
    res.locals.requestId = req.id;
    res.locals.currentPath = req.path;
    res.locals.values ??= {};
    res.locals.errors ??= {};
    res.locals.formError ??= null;
    res.locals.flash ??= null;
    next();
  };
}
