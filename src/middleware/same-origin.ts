import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../errors/app-error';
import { readBearerToken } from '../lib/auth-cookies';
import { msg } from '../lib/i18n';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const MESSAGE = msg('errors.message.crossSite');

/**
 * A second wall behind CSRF tokens: a state-changing request whose browser says it came from
 * another site (Sec-Fetch-Site) or another origin (Origin) is refused. Requests without those
 * headers (older browsers, curl) fall through to the CSRF token check.
 */
export function requireSameOrigin(req: Request, _res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method) || readBearerToken(req) !== undefined) return next();
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') throw new ForbiddenError(MESSAGE, 'cross_site_request');
  const origin = req.get('origin');
  if (origin !== undefined && !isSameHost(origin, req.host)) throw new ForbiddenError(MESSAGE, 'cross_site_request');
  next();
}

function isSameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false; // "null" (sandboxed frames, privacy redirects) or garbage
  }
}
