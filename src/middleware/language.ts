import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config/env';
import { negotiateAcceptLanguage } from '../lib/accept-language';
import { isApiRequest, readCookie } from '../lib/auth-cookies';
import { DEFAULT_LANGUAGE, isLanguage, Language, localize, Message, Translate, translator, viewI18n } from '../lib/i18n';
import type { Services } from '../services';

/** Set by the language switcher (POST /language); a plain preference, not a secret. */
export const LANGUAGE_COOKIE = 'lang';
const LANGUAGE_COOKIE_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

export function setLanguageCookie(res: Response, config: Config, language: Language): void {
  res.cookie(LANGUAGE_COOKIE, language, { httpOnly: true, sameSite: 'lax', path: '/', secure: config.cookies.secure, maxAge: LANGUAGE_COOKIE_MAX_AGE_MS });
}

/** The language without the signed-in user's preference: the cookie, then Accept-Language (the API: the header first). */
export function languageFromRequest(req: Request): Language | undefined {
  const cookie = readCookie(req, LANGUAGE_COOKIE);
  const fromCookie = isLanguage(cookie) ? cookie : undefined;
  const fromHeader = negotiateAcceptLanguage(req.get('accept-language'));
  return isApiRequest(req) ? fromHeader : (fromCookie ?? fromHeader);
}

/** A Message as text in the response's language, for a JSON answer that is not an error. */
export function textFor(res: Response, message: Message): string {
  const t = (res.locals.t as Translate | undefined) ?? translator(DEFAULT_LANGUAGE);
  return localize(message, t);
}

/** Marks the response as being in `language`, and gives the views their `t`, `tm`, `lang` and `fmt`. */
export function applyLanguage(req: Request, res: Response, language: Language): void {
  req.language = language;
  res.set('Content-Language', language);
  res.vary('Accept-Language');
  Object.assign(res.locals, viewI18n(language));
}

/** The language of a request that may not have passed `negotiateLanguage` (an error raised before it). */
export function languageOf(req: Request): Language {
  return req.language ?? languageFromRequest(req) ?? DEFAULT_LANGUAGE;
}

/**
 * Picks the response's language (docs/i18n.md): for pages the signed-in user's saved
 * preference, then the `lang` cookie, then Accept-Language, then English. API clients say what
 * they want in Accept-Language, so there the header comes before the saved preference. The
 * preference is read from the revocation check's cached row: no query of its own.
 */
export function createNegotiateLanguage(services: Services) {
  return async function negotiateLanguage(req: Request, res: Response, next: NextFunction): Promise<void> {
    const requested = languageFromRequest(req);
    let saved: Language | undefined;
    if (req.user && (requested === undefined || !isApiRequest(req))) {
      const account = await services.sessions.currentAccount(req.user.id, req.user.sessionId);
      saved = isLanguage(account?.user.language) ? account.user.language : undefined;
    }
    const language = isApiRequest(req) ? (requested ?? saved) : (saved ?? requested);
    applyLanguage(req, res, language ?? DEFAULT_LANGUAGE);
    next();
  };
}
