import type { Request } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import type { Config } from '../config/env';
import { deriveSecret, SigningKeys } from '../config/keys';
import { hasAuthCookies, isApiRequest, readBearerToken } from '../lib/auth-cookies';

/**
 * Signed double-submit CSRF tokens (csrf-csrf), bound to the sign-in (`sid`) so a token
 * from one session is useless in another. Forms send `_csrf`; scripts send `X-CSRF-Token`.
 *
 * The JSON API skips the check only when the request cannot be riding on the browser's
 * cookies: a Bearer header, or no auth cookie at all (API login, register, refresh).
 */
export function createCsrf(config: Config, keys: SigningKeys) {
  const secret = deriveSecret(keys, 'csrf').toString('hex');
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: (req: Request) => req.user?.sessionId ?? '',
    cookieName: config.cookies.secure ? '__Host-gatehouse.csrf' : 'gatehouse.csrf',
    cookieOptions: { sameSite: 'strict', path: '/', secure: config.cookies.secure, httpOnly: true },
    getCsrfTokenFromRequest: (req: Request) =>
      req.is('application/x-www-form-urlencoded') ? req.body?._csrf : req.get('x-csrf-token'),
    skipCsrfProtection: (req: Request) =>
      isApiRequest(req) && (readBearerToken(req) !== undefined || !hasAuthCookies(req, config)),
  });
  return { protect: doubleCsrfProtection, issueToken: generateCsrfToken };
}
