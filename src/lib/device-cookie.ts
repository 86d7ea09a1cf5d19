import type { CookieOptions, Request, Response } from 'express';
import type { Config } from '../config/env';
import { DEVICE_COOKIE_DAYS } from '../services/devices.service';
import type { SignedIn } from '../services/sign-in';

/**
 * The browser's device id: random, signed with the cookie secret (so nobody mints one for a
 * browser they want to pass as known), HttpOnly, and long-lived, so the same browser is
 * recognised at its next sign-in and the new-sign-in mail is not sent again. It is not a
 * session: it opens nothing, and logging out leaves it in place.
 */
function name(config: Config): string {
  return `${config.cookies.secure ? '__Host-' : ''}device`;
}

function options(config: Config): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: config.cookies.secure, signed: true, maxAge: DEVICE_COOKIE_DAYS * 86400_000 };
}

/** The id, when the cookie carries a valid signature (cookie-parser sets false for a forged one). */
export function readDeviceCookie(req: Request, config: Config): string | undefined {
  const value: unknown = req.signedCookies?.[name(config)];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function setDeviceCookie(res: Response, config: Config, signedIn: Pick<SignedIn, 'deviceId'>): void {
  if (signedIn.deviceId) res.cookie(name(config), signedIn.deviceId, options(config));
}
