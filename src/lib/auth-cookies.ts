import type { CookieOptions, Request, Response } from 'express';
import type { Config } from '../config/env';
import type { TokenPair } from '../services/session.service';

/**
 * The cookie transport. HttpOnly so scripts never see a token, SameSite=Lax so other sites'
 * POSTs arrive without them, no Domain, Path=/, and with COOKIE_SECURE the `__Host-` prefix,
 * which the browser only accepts over HTTPS from this exact host.
 */
function baseOptions(config: Config): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: config.cookies.secure };
}

/**
 * Each cookie lives as long as its token (Max-Age), as SPEC.md has it — except the refresh cookie
 * of a sign-in without "Remember me", which is a browser-session cookie (no Max-Age): closing the
 * browser ends the sign-in on this computer once the short access token has expired
 * (ACCESS_TOKEN_TTL), and the server ends the family after SESSION_IDLE_TTL unused
 * (session.service.ts).
 */
export function setAuthCookies(res: Response, config: Config, tokens: TokenPair): void {
  res.cookie(config.cookies.accessName, tokens.accessToken, { ...baseOptions(config), maxAge: tokens.accessExpiresIn * 1000 });
  const refreshLifetime = tokens.remembered ? { maxAge: tokens.refreshExpiresIn * 1000 } : {};
  res.cookie(config.cookies.refreshName, tokens.refreshToken, { ...baseOptions(config), ...refreshLifetime });
}

export function clearAuthCookies(res: Response, config: Config): void {
  res.clearCookie(config.cookies.accessName, baseOptions(config));
  res.clearCookie(config.cookies.refreshName, baseOptions(config));
}

/** A cookie value as cookie-parser left it: a string, or an object for "j:" values, which we refuse. */
export function readCookie(req: Request, name: string): string | undefined {
  const value: unknown = req.cookies?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function hasAuthCookies(req: Request, config: Config): boolean {
  return readCookie(req, config.cookies.accessName) !== undefined || readCookie(req, config.cookies.refreshName) !== undefined;
}

/** The Bearer transport: `Authorization: Bearer <token>`, nothing else. */
export function readBearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  if (!header) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)$/i.exec(header);
  return match ? match[1] : '';
}

/** Answered for machines (monitors, Prometheus): their errors are JSON, like the API's. */
const MACHINE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Judged on the full URL: inside a mounted router `req.path` has lost its prefix. Asked several
 * times per request (cookies, language, errors, locals), so worked out once and kept on the request.
 */
export function isApiRequest(req: Request): boolean {
  if (req.apiRequest === undefined) {
    const path = (req.originalUrl.split('?')[0] ?? '').toLowerCase();
    req.apiRequest = path === '/api' || path.startsWith('/api/') || path.startsWith('/.well-known/') || MACHINE_PATHS.has(path);
  }
  return req.apiRequest;
}
