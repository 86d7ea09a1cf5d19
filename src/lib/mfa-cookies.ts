import type { CookieOptions, Request, Response } from 'express';
import type { Config } from '../config/env';
import { PENDING_LOGIN_TTL_SECONDS } from '../services/mfa-login.service';
import { CHALLENGE_TTL_SECONDS } from '../services/passkey.service';
import { readCookie } from './auth-cookies';

/**
 * Two short-lived cookies of the second factor, both random values whose digests the database
 * holds, so the state they stand for lives on the server and ends with it:
 * - the pending login (password right, second step not passed): it binds that step to this
 *   browser; it is not a session and opens no page but the code prompt;
 * - the WebAuthn ceremony under way: its challenge is answered only from the browser it was issued to.
 * SameSite=Strict: neither is ever needed on a request another site starts.
 */
function names(config: Config) {
  const prefix = config.cookies.secure ? '__Host-' : '';
  return { pending: `${prefix}gatehouse.mfa`, ceremony: `${prefix}gatehouse.webauthn` };
}

function options(config: Config, maxAgeSeconds?: number): CookieOptions {
  const base: CookieOptions = { httpOnly: true, sameSite: 'strict', path: '/', secure: config.cookies.secure };
  return maxAgeSeconds === undefined ? base : { ...base, maxAge: maxAgeSeconds * 1000 };
}

export function setPendingLoginCookie(res: Response, config: Config, token: string): void {
  res.cookie(names(config).pending, token, options(config, PENDING_LOGIN_TTL_SECONDS));
}

export function readPendingLoginCookie(req: Request, config: Config): string | undefined {
  return readCookie(req, names(config).pending);
}

export function clearPendingLoginCookie(res: Response, config: Config): void {
  res.clearCookie(names(config).pending, options(config));
}

export function setCeremonyCookie(res: Response, config: Config, binding: string): void {
  res.cookie(names(config).ceremony, binding, options(config, CHALLENGE_TTL_SECONDS));
}

/** The ceremony's binding, used once: the cookie is cleared as it is read. */
export function takeCeremonyCookie(req: Request, res: Response, config: Config): string {
  const binding = readCookie(req, names(config).ceremony);
  if (binding !== undefined) res.clearCookie(names(config).ceremony, options(config));
  return binding ?? '';
}
